"""Logging that cannot leak: every record is redacted of keys, client secrets and card numbers."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from pos.domain.redaction import redact

__all__ = ["RedactingFilter", "configure_logging", "redact"]


class RedactingFilter(logging.Filter):
    """Rewrites the finished message (arguments and traceback included) before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = None
        if record.stack_info:
            message += "\n" + record.stack_info
            record.stack_info = None
        record.msg, record.args = redact(message), None
        return True


def configure_logging(data_dir: Path, level: int = logging.INFO) -> Path:
    """Log to data_dir/pos.log (0600) and stderr, both through the redacting filter."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "pos.log"
    if os.name == "posix":
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.close(fd)
        os.chmod(path, 0o600)
    root = logging.getLogger()
    root.setLevel(level)
    for handler in (logging.FileHandler(path, encoding="utf-8"), logging.StreamHandler()):
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    # The stripe logger at DEBUG would print request bodies; keep it above DEBUG whatever happens.
    logging.getLogger("stripe").setLevel(logging.WARNING)
    return path

"""Logging that cannot leak: every record is redacted of keys, client secrets and card numbers."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

_KEY = re.compile(r"\b(sk|rk|pk)_(test|live)_[A-Za-z0-9]+")
_CLIENT_SECRET = re.compile(r"\b(pi|seti)_[A-Za-z0-9]+_secret_[A-Za-z0-9]+")
_DIGIT_RUN = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    if 13 <= len(digits) <= 19 and _luhn_ok(digits):
        return "[card number redacted]"
    return match.group(0)


def redact(text: str) -> str:
    text = _KEY.sub(lambda m: f"{m.group(1)}_{m.group(2)}_[redacted]", text)
    text = _CLIENT_SECRET.sub(lambda m: f"{m.group(1)}_[client secret redacted]", text)
    return _DIGIT_RUN.sub(_card, text)


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

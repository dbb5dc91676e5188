"""Text with secrets taken out: API keys, client secrets and card-like numbers (Luhn-checked).

Plain Python so the log filter, the screen and anything else that shows text use one rule.
"""

from __future__ import annotations

import re

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


def _card(match: re.Match[str]) -> str:
    found: str = match.group(0)
    digits = re.sub(r"\D", "", found)
    if 13 <= len(digits) <= 19 and _luhn_ok(digits):
        return "[card number redacted]"
    return found


def redact(text: str) -> str:
    text = _KEY.sub(lambda m: f"{m.group(1)}_{m.group(2)}_[redacted]", text)
    text = _CLIENT_SECRET.sub(lambda m: f"{m.group(1)}_[client secret redacted]", text)
    return _DIGIT_RUN.sub(_card, text)

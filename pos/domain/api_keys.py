"""Which Stripe keys this till accepts, and how a key is shown (never whole)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SHAPE = re.compile(r"(sk|rk|pk)_(test|live)_[A-Za-z0-9]{8,}")


@dataclass(frozen=True)
class KeyVerdict:
    accepted: bool
    reason: str = ""


def classify(key: str) -> KeyVerdict:
    """A test secret or restricted key is accepted; everything else is refused with the reason."""
    key = key.strip()
    if not key:
        return KeyVerdict(False, "No key was entered.")
    match = _SHAPE.fullmatch(key)
    if key.startswith("pk_"):
        return KeyVerdict(
            False,
            "That is a publishable key (pk_…). The till needs a secret key "
            "(sk_test_…) or a restricted key (rk_test_…).",
        )
    if not match:
        return KeyVerdict(
            False,
            "That does not look like a Stripe API key. Test keys start with "
            "sk_test_ or rk_test_, followed by letters and digits.",
        )
    if match.group(2) == "live":
        return KeyVerdict(
            False,
            "That is a live key. This till takes Stripe's test payment methods only, "
            "which cannot charge a live account: use a test key (sk_test_… or rk_test_…).",
        )
    return KeyVerdict(True)


def mask(key: str) -> str:
    """'sk_test_…1234': the kind and the last four characters, never more."""
    key = key.strip()
    prefix = "_".join(key.split("_")[:2]) + "_" if key.count("_") >= 2 else ""
    return f"{prefix}…{key[-4:]}" if len(key) >= 12 else "…"

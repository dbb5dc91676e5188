"""Stripe API versions: which ones exist, which one a request speaks, and what changed when.

Stripe picks a version for each request from its `Stripe-Version` header, else the
account's default. Since 2024-09-30 versions are named `YYYY-MM-DD.<release>`
(monthly releases within a named major); before that they were bare dates.

A named version newer than this table (a client released after it was written sends
one) is served, not refused: Stripe's changelog says monthly releases within a major
carry no breaking changes, so a well-formed `YYYY-MM-DD.<release>` of a known release,
dated on or after that release's first version and not after the sandbox's today,
answers as the newest behaviour known here for that release and echoes the version it
was asked for. An unknown release, a malformed string, a date before the release's first
version or in the future, and a bare date Stripe never published answer 400
"Invalid Stripe API version: …".

The gates below are the changes this sandbox models; each names the changelog
entry it follows (also listed in README.md beside this file).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from . import errors

# The newest version this sandbox knows; the pinned `stripe` package sends it
# (a test fails when the package's version moves and this table does not).
CURRENT = "2026-10-28.endive"

# Named releases since acacia: the first version of each major, then its monthly releases.
NAMED = {
    "acacia": ("2024-09-30", "2024-10-28", "2024-11-20", "2024-12-18", "2025-01-27", "2025-02-24"),
    "basil": ("2025-03-31", "2025-04-30", "2025-05-28", "2025-06-30", "2025-07-30", "2025-08-27"),
    "clover": ("2025-09-30", "2025-10-29", "2025-11-17", "2025-12-15", "2026-01-28", "2026-02-25"),
    "dahlia": ("2026-03-25", "2026-04-22", "2026-05-27", "2026-06-24", "2026-07-29", "2026-08-26"),
    "endive": ("2026-09-30", "2026-10-28"),
}

# Bare-date versions, from Stripe's changelog index ("Previous versions").
LEGACY = frozenset(
    """
    2014-10-07 2014-11-05 2014-11-20 2014-12-08 2014-12-17 2014-12-22 2015-01-11 2015-01-26
    2015-02-10 2015-02-16 2015-02-18 2015-03-24 2015-04-07 2015-06-15 2015-07-07 2015-07-13
    2015-07-28 2015-08-07 2015-08-19 2015-09-03 2015-09-08 2015-09-23 2015-10-01 2015-10-12
    2015-10-16 2016-02-03 2016-02-19 2016-02-22 2016-02-23 2016-02-29 2016-03-07 2016-06-15
    2016-07-06 2016-10-19 2017-01-27 2017-02-14 2017-04-06 2017-05-25 2017-06-05 2017-08-15
    2017-12-14 2018-01-23 2018-02-05 2018-02-06 2018-02-28 2018-05-21 2018-07-27 2018-08-23
    2018-09-06 2018-09-24 2018-10-31 2018-11-08 2019-02-11 2019-02-19 2019-03-14 2019-05-16
    2019-08-14 2019-09-09 2019-10-08 2019-10-17 2019-11-05 2019-12-03 2020-03-02 2020-08-27
    2022-08-01 2022-11-15 2023-08-16 2023-10-16 2024-04-10 2024-06-20
""".split()
)

_KNOWN = LEGACY | {f"{date}.{name}" for name, dates in NAMED.items() for date in dates}


_NAMED_FORM = re.compile(r"(\d{4}-\d{2}-\d{2})\.([a-z]+)")


@dataclass(frozen=True, order=True)
class ApiVersion:
    """A version a request speaks; compares by the date whose behaviour it gets (`date`), so
    gates read `version.date >= gate.since`. `text` is what the client asked for, echoed back."""

    date: str
    text: str

    def __str__(self) -> str:
        return self.text


def _real_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def parse(raw: str, today: dt.date | None = None) -> ApiVersion:
    """The version `raw` names, or Stripe's 400. `today` is the sandbox's date (its clock's)."""
    text = raw.strip()
    if text in _KNOWN:
        return ApiVersion(text.partition(".")[0], text)
    named = _NAMED_FORM.fullmatch(text)
    if named and named[2] in NAMED and _real_date(named[1]):
        date, dates = named[1], NAMED[named[2]]
        if dates[0] <= date <= (today or dt.datetime.now(dt.UTC).date()).isoformat():
            # Monthly releases add, never break: the newest behaviour known for this release.
            return ApiVersion(dates[-1], text)
    raise errors.invalid_request(f"Invalid Stripe API version: {raw}")


def known() -> list[str]:
    return sorted(_KNOWN)


@dataclass(frozen=True)
class Gate:
    since: str  # the first version (date) with the new behaviour
    what: str
    source: str  # Stripe's changelog entry

    def on(self, version: ApiVersion) -> bool:
        return version.date >= self.since


CHARGES_LIST_REMOVED = Gate(
    "2022-11-15",
    "PaymentIntent no longer carries the `charges` list (use `latest_charge`)",
    "https://docs.stripe.com/changelog/2022-11-15 (PaymentIntent `charges` removed)",
)
AUTOMATIC_PAYMENT_METHODS_DEFAULT = Gate(
    "2023-08-16",
    "without payment method types, `automatic_payment_methods` is on by default and "
    "confirm needs `return_url` unless redirects are turned off",
    "https://docs.stripe.com/changelog/2023-08-16/automatic-payment-methods",
)
CAPTURE_ASYNC_DEFAULT = Gate(
    "2024-04-10",
    "`capture_method` defaults to `automatic_async` instead of `automatic`",
    "https://docs.stripe.com/changelog/2024-04-10/automatic-sync-default-paymentintents",
)
INVOICE_REMOVED = Gate(
    "2025-03-31",
    "PaymentIntent and Charge no longer carry `invoice`",
    "https://docs.stripe.com/changelog/basil (2025-03-31.basil: removes `invoice` on Charge and PaymentIntent)",
)
ALLOWED_TYPES_ADDED = Gate(
    "2026-07-29",
    "`allowed_payment_method_types` accepted on create, update and confirm (exclusive "
    "with `payment_method_types`, `excluded_payment_method_types`, `automatic_payment_methods`, "
    "`payment_method_configuration`)",
    "https://docs.stripe.com/changelog/dahlia/2026-07-29/allowed-payment-method-types-parameter",
)
PAYMENT_METHOD_TYPES_REMOVED = Gate(
    "2026-09-30",
    "`payment_method_types` is no longer writable: 400 `payment_method_types_no_longer_supported`",
    "https://docs.stripe.com/changelog/endive/2026-09-30/"
    "removes-the-payment-method-types-parameter-from-payment-intents-and-setup-intents",
)

GATES = (
    CHARGES_LIST_REMOVED,
    AUTOMATIC_PAYMENT_METHODS_DEFAULT,
    CAPTURE_ASYNC_DEFAULT,
    INVOICE_REMOVED,
    ALLOWED_TYPES_ADDED,
    PAYMENT_METHOD_TYPES_REMOVED,
)

#!/usr/bin/env python3
"""Write pos/sandbox/stripe_definitions.json from the installed `stripe` package.

The sandbox is standard library only, so it cannot read the SDK at run time; this
file is its copy of what the pinned SDK declares for the endpoints it serves: the
API version, each call's parameter names (from `stripe/params/*Params`), and each
object's expandable fields (attributes typed `ExpandableField[...]`). A test fails
while the file and the installed SDK disagree, so a version bump is a deliberate act:

    .venv/bin/python scripts/sync-sandbox-params.py && git diff pos/sandbox/stripe_definitions.json
"""

from __future__ import annotations

import json
import sys
import typing
from pathlib import Path

import stripe
import stripe.params
import stripe.params.terminal
import stripe.params.test_helpers.terminal
import stripe.terminal
from stripe._api_version import _ApiVersion
from stripe._request_options import RequestOptions

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "pos" / "sandbox" / "stripe_definitions.json"

# The params types of the calls the sandbox serves (its routes name them too).
PARAMS = [
    "PaymentIntentCreateParams",
    "PaymentIntentListParams",
    "PaymentIntentSearchParams",
    "PaymentIntentRetrieveParams",
    "PaymentIntentUpdateParams",
    "PaymentIntentConfirmParams",
    "PaymentIntentCancelParams",
    "PaymentIntentCaptureParams",
    "PaymentMethodRetrieveParams",
    "ChargeListParams",
    "ChargeRetrieveParams",
    "RefundCreateParams",
    "RefundListParams",
    "RefundRetrieveParams",
    "terminal.LocationCreateParams",
    "terminal.LocationListParams",
    "terminal.LocationRetrieveParams",
    "terminal.ReaderCreateParams",
    "terminal.ReaderListParams",
    "terminal.ReaderRetrieveParams",
    "terminal.ReaderUpdateParams",
    "terminal.ReaderDeleteParams",
    "terminal.ReaderProcessPaymentIntentParams",
    "terminal.ReaderCancelActionParams",
    "terminal.ReaderSetReaderDisplayParams",
    "test_helpers.terminal.ReaderPresentPaymentMethodParams",
]
OBJECTS = {
    "payment_intent": stripe.PaymentIntent,
    "charge": stripe.Charge,
    "refund": stripe.Refund,
    "payment_method": stripe.PaymentMethod,
    "terminal.reader": stripe.terminal.Reader,
    "terminal.location": stripe.terminal.Location,
}

# Client-side request options mixed into some params types; never sent as parameters.
OPTIONS = set(RequestOptions.__annotations__)


def params_type(name: str):
    """`PaymentIntentCreateParams`, or a dotted name under stripe.params (`terminal.ReaderCreateParams`)."""
    found = stripe.params
    for part in name.split("."):
        found = getattr(found, part)
    return found


def param_names(name: str) -> list[str]:
    return sorted(set(params_type(name).__annotations__) - OPTIONS)


def expandable(cls) -> list[str]:
    """Attributes Stripe can expand: typed as an id string or a forward reference to an object."""
    names = []
    for attr, ann in cls.__annotations__.items():
        args = typing.get_args(ann) if typing.get_origin(ann) is typing.Union else ()
        if str in args and any(isinstance(a, typing.ForwardRef) for a in args):
            names.append(attr)
    return sorted(names)


def definitions() -> dict:
    return {
        "api_version": _ApiVersion.CURRENT,
        "sdk_version": stripe.VERSION,
        "params": {name: param_names(name) for name in PARAMS},
        "expandable": {obj: expandable(cls) for obj, cls in OBJECTS.items()},
    }


def main() -> int:
    text = json.dumps(definitions(), indent=1, sort_keys=True) + "\n"
    if "--check" in sys.argv:
        same = OUT.exists() and OUT.read_text() == text
        print("up to date" if same else f"{OUT.name} differs from stripe {stripe.VERSION}; run without --check")
        return 0 if same else 1
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)} for stripe {stripe.VERSION} ({_ApiVersion.CURRENT})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

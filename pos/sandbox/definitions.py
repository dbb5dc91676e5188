"""What Stripe declares for the calls the sandbox serves, and how a request is held to it.

`stripe_definitions.json` is generated from the pinned `stripe` package by
`scripts/sync-sandbox-params.py` (a test keeps the two equal). A parameter is then
one of three things for a call:

- implemented here: the handler gives it Stripe's documented effect;
- declared by Stripe but not implemented here: 400 naming it, never silently ignored;
- unknown to Stripe: 400 `parameter_unknown`, as Stripe answers.

Version gates decide the few parameters whose existence depends on `Stripe-Version`.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import errors, versions

_DATA = json.loads((Path(__file__).with_name("stripe_definitions.json")).read_text())
API_VERSION: str = _DATA["api_version"]
DECLARED: dict[str, frozenset[str]] = {name: frozenset(v) for name, v in _DATA["params"].items()}
EXPANDABLE: dict[str, frozenset[str]] = {name: frozenset(v) for name, v in _DATA["expandable"].items()}
# Which fields each object may leave out and which may be null (stripe-node's declarations for
# the same API version): {interface: {field: "required|nullable|optional|optional nullable" [held]}}.
FIELDS: dict[str, dict[str, str]] = _DATA["fields"]["interfaces"]
NODE_OBJECTS: dict[str, str] = _DATA["fields"]["objects"]
NODE_DELETED: dict[str, str] = _DATA["fields"]["deleted"]
# Lists Stripe leaves out of an object unless asked with `expand[]` (2022-11-15: Charge.refunds).
INCLUDABLE = {"charge": frozenset({"refunds"})}
# The fields the sandbox expands, and the kind of object each one holds the id of.
EXPANDS_TO = {
    "latest_charge": "charge",
    "payment_method": "payment_method",
    "charge": "charge",
    "payment_intent": "payment_intent",
    "location": "terminal.location",
}
# Expandable on Stripe, set on the sandbox's objects, but with no object behind them here.
NOT_EXPANDED_HERE = frozenset({"balance_transaction"})

_LIST = {"limit", "starting_after", "ending_before", "created"}

# Parameters each handler gives Stripe's effect to, on the current version.
IMPLEMENTED: dict[str, frozenset[str]] = {
    "create_payment_intent": frozenset(
        {
            "amount",
            "currency",
            "metadata",
            "payment_method",
            "confirm",
            "capture_method",
            "confirmation_method",
            "description",
            "receipt_email",
            "statement_descriptor",
            "statement_descriptor_suffix",
            "setup_future_usage",
            "transfer_group",
            "return_url",
            "allowed_payment_method_types",
            "automatic_payment_methods",
        }
    ),
    "update_payment_intent": frozenset(
        {
            "amount",
            "currency",
            "metadata",
            "description",
            "payment_method",
            "receipt_email",
            "capture_method",
            "statement_descriptor",
            "statement_descriptor_suffix",
            "setup_future_usage",
            "transfer_group",
            "allowed_payment_method_types",
        }
    ),
    "confirm_payment_intent": frozenset(
        {
            "payment_method",
            "return_url",
            "capture_method",
            "receipt_email",
            "setup_future_usage",
            "allowed_payment_method_types",
        }
    ),
    "retrieve_payment_intent": frozenset({"client_secret"}),
    "cancel_payment_intent": frozenset({"cancellation_reason"}),
    "capture_payment_intent": frozenset({"amount_to_capture", "metadata"}),
    "list_payment_intents": frozenset(_LIST | {"customer"}),
    "search_payment_intents": frozenset({"query", "limit", "page"}),
    "retrieve_payment_method": frozenset(),
    "list_charges": frozenset(_LIST | {"payment_intent", "customer"}),
    "retrieve_charge": frozenset(),
    "create_refund": frozenset({"payment_intent", "charge", "amount", "reason", "metadata"}),
    "list_refunds": frozenset(_LIST | {"payment_intent", "charge"}),
    "retrieve_refund": frozenset(),
    "create_location": frozenset({"display_name", "address", "metadata", "phone"}),
    "list_locations": frozenset({"limit", "starting_after", "ending_before"}),
    "retrieve_location": frozenset(),
    "create_reader": frozenset({"registration_code", "label", "location", "metadata"}),
    "list_readers": frozenset(
        {"limit", "starting_after", "ending_before", "location", "device_type", "status", "serial_number"}
    ),
    "retrieve_reader": frozenset(),
    "update_reader": frozenset({"label", "metadata"}),
    "delete_reader": frozenset(),
    "process_payment_intent": frozenset({"payment_intent", "process_config"}),
    "cancel_action": frozenset(),
    "set_reader_display": frozenset({"type", "cart"}),
    "present_payment_method": frozenset({"type", "card_present", "interac_present", "amount_tip"}),
}

# Writable before endive on create, update and confirm; stripe.js's client_secret on a
# publishable-key confirm (not a server SDK parameter).
_PAYMENT_METHOD_TYPES_CALLS = {"create_payment_intent", "update_payment_intent", "confirm_payment_intent"}


def check_params(
    handler: str, params_type: str, p: dict, version: versions.ApiVersion, publishable: bool = False
) -> None:
    """Refuse any parameter this call does not take on this version, the way Stripe words it."""
    implemented = IMPLEMENTED[handler]
    declared = DECLARED[params_type]
    for name in p:
        if name == "expand":
            continue
        if name == "payment_method_types" and handler in _PAYMENT_METHOD_TYPES_CALLS:
            if versions.PAYMENT_METHOD_TYPES_REMOVED.on(version):
                raise errors.validation(
                    "The `payment_method_types` parameter is no longer supported on this API version "
                    f"({version}). Use `allowed_payment_method_types` to limit the payment method types, "
                    "or dynamic payment methods.",
                    code="payment_method_types_no_longer_supported",
                    param="payment_method_types",
                )
            continue
        if name == "allowed_payment_method_types" and not versions.ALLOWED_TYPES_ADDED.on(version):
            raise errors.parameter_unknown(name)
        if name == "client_secret" and handler == "confirm_payment_intent" and publishable:
            continue
        if name in implemented:
            continue
        if name in declared:
            raise errors.not_in_sandbox(name)
        raise errors.parameter_unknown(name)


def check_expand(kind: str, paths: list) -> None:
    """Stripe answers 400 for `expand[]` of anything that is not an expandable field.

    `kind` is the object the call returns; lists and search results expand inside
    `data.` only.
    """
    if not isinstance(paths, list):
        raise errors.validation("Invalid array", param="expand")
    for path in paths:
        if not isinstance(path, str):
            raise errors.validation("Invalid array", param="expand")
        _check_path(kind, path, path)


def _check_path(kind: str, path: str, whole: str) -> None:
    head, _, rest = path.partition(".")
    if kind.startswith(("list:", "search:")):
        if head != "data" or not rest:
            raise errors.cannot_expand(whole)
        return _check_path(kind.partition(":")[2], rest, whole)
    if head not in EXPANDABLE.get(kind, ()) and head not in INCLUDABLE.get(kind, ()):
        raise errors.cannot_expand(whole)
    if head in NOT_EXPANDED_HERE:
        # Refused before the call runs, so a confirm is never processed and then answered 400.
        raise errors.not_in_sandbox(f"expand[{whole}]")
    if rest:
        target = EXPANDS_TO.get(head)
        if target is None:
            raise errors.not_in_sandbox(f"expand[{whole}]")
        _check_path(target, rest, whole)


def interface_of(obj: dict) -> str | None:
    """The declared interface of a top-level Stripe object (its stub after a DELETE)."""
    kind = obj.get("object")
    if obj.get("deleted") is True and kind in NODE_DELETED:
        return NODE_DELETED[kind]
    return NODE_OBJECTS.get(kind) if isinstance(kind, str) else None


def field_spec(spec: str) -> tuple[bool, bool, str | None, bool]:
    """(optional, nullable, the interface it holds or None, whether it is an array of them)."""
    words = spec.split()
    held = words[-1] if words[-1] not in ("required", "nullable", "optional") else None
    array = bool(held and held.endswith("[]"))
    return "optional" in words, "nullable" in words, held.removesuffix("[]") if held else None, array


def prune(value, interface: str | None = None):
    """Drop the fields Stripe leaves out when unset (declared optional, not nullable) where the
    sandbox holds them as None, at every depth; stripe-python raises AttributeError for an absent
    field but returns None for a null one, so a null here would hide the client's crash."""
    if isinstance(value, list):
        for item in value:
            prune(item, interface)
        return value
    if not isinstance(value, dict):
        return value
    if value.get("object") in ("list", "search_result"):
        for item in value.get("data", []):
            prune(item, interface)
        return value
    interface = interface_of(value) or interface
    fields = FIELDS.get(interface or "", {})
    for name in list(value):
        spec = fields.get(name)
        if spec is None or spec == "map":
            continue
        optional, nullable, held, _array = field_spec(spec)
        if value[name] is None:
            if optional and not nullable:
                del value[name]
        elif held is not None:
            prune(value[name], held.removeprefix("list:") or None)
    return value

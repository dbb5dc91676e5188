"""Hold JSON from the sandbox against the installed `stripe` package's own definitions.

The SDK's resource classes annotate every field of the version it pins (`Optional[...]`
for nullable, `Literal[...]` for enums, nested `StripeObject` classes for sub-hashes,
`ExpandableField[...]` as `Union[str, ForwardRef(...)]`); these helpers walk a JSON value
along those annotations and list every disagreement.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from dataclasses import field as dc_field

import stripe
from stripe._error_object import ErrorObject
from stripe._stripe_object import StripeObject

from pos.sandbox import definitions

RESOURCES = {
    "payment_intent": stripe.PaymentIntent,
    "charge": stripe.Charge,
    "refund": stripe.Refund,
    "payment_method": stripe.PaymentMethod,
    "terminal.reader": stripe.terminal.Reader,
    "terminal.location": stripe.terminal.Location,
}
# Lists Stripe includes only when asked with expand[] (changelog 2022-11-15: Charge.refunds).
INCLUDABLE = {"charge": {"refunds"}}


def declared(cls) -> dict:
    return {k: v for k, v in cls.__annotations__.items() if k != "OBJECT_NAME"}


def type_conditional(cls) -> set[str]:
    """Sub-hashes named after a value of the object's `type` (PaymentMethod.card, .sepa_debit, …):
    Stripe includes only the one for the object's own type."""
    kinds = set()
    for arg in typing.get_args(cls.__annotations__.get("type", str)):
        if typing.get_origin(arg) is typing.Literal:
            kinds |= set(typing.get_args(arg))
    return kinds & set(cls.__annotations__)


def required_fields(kind: str) -> set[str]:
    """The fields Stripe always sends on this object (stripe-node's declarations: not `name?:`)."""
    fields = definitions.FIELDS[definitions.NODE_OBJECTS[kind]]
    return {name for name, spec in fields.items() if not definitions.field_spec(spec)[0]}


@dataclass
class Report:
    """What the declaration check looked at: fields checked, nulls sent, optional fields left out."""

    fields: int = 0
    nulls: int = 0
    absent: int = 0
    problems: list[str] = dc_field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.fields} fields checked, {self.nulls} nulls (each declared nullable), "
            f"{self.absent} optional fields left out"
        )


def check_declared(value, where: str, report: Report, interface: str | None = None) -> None:
    """Hold a JSON value to stripe-node's declarations of the pinned version (the generated
    `fields` of stripe_definitions.json): a null only where nullable, every required field there,
    no field the version does not declare."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            check_declared(item, f"{where}[{i}]", report, interface)
        return
    if not isinstance(value, dict):
        return
    if value.get("object") in ("list", "search_result"):
        for i, item in enumerate(value.get("data", [])):
            check_declared(item, f"{where}.data[{i}]", report, interface)
        return
    interface = definitions.interface_of(value) or interface
    if interface is None:
        return
    fields = definitions.FIELDS[interface]
    if fields.get("*") == "map":
        return
    legacy = {"charges", "invoice"}  # older versions' fields, rendered only for them (test_versions.py)
    for name in sorted(set(fields) | set(value)):
        spec = fields.get(name)
        if spec is None:
            if name not in legacy and not (name == "refunds" and interface == "Charge"):
                report.problems.append(f"{where}.{name}: not declared by {interface} on this version")
            continue
        optional, nullable, held, _array = definitions.field_spec(spec)
        if name not in value:
            if optional:
                report.absent += 1
            else:
                report.problems.append(f"{where}.{name}: missing (required by {interface} on this version)")
            continue
        report.fields += 1
        if value[name] is None:
            report.nulls += 1
            if not nullable:
                why = "Stripe leaves it out when unset" if optional else "Stripe always sends a value"
                report.problems.append(f"{where}.{name}: null, but {interface} does not declare it nullable ({why})")
        elif held is not None:
            check_declared(value[name], f"{where}.{name}", report, held.removeprefix("list:") or None)


def _resolve(ref: typing.ForwardRef):
    name = ref.__forward_arg__
    return getattr(stripe, name, None) or getattr(stripe.terminal, name, None)


def check(value, ann, where: str, problems: list[str]) -> None:
    """Append to `problems` every way `value` disagrees with the annotation `ann`."""
    if ann is typing.Any or isinstance(ann, typing.TypeVar):
        if isinstance(value, dict) and value.get("object") in RESOURCES:
            check_object(value, RESOURCES[value["object"]], where, problems)
        return
    if isinstance(ann, typing.ForwardRef):
        cls = _resolve(ann)
        if not isinstance(value, dict):
            problems.append(f"{where}: expected an object, got {type(value).__name__}")
        elif isinstance(cls, type) and issubclass(cls, StripeObject):
            check_object(value, cls, where, problems)
        return
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin is typing.Union:
        if value is None:
            if type(None) not in args:
                problems.append(f"{where}: null where the SDK declares a value")
            return
        options = [a for a in args if a is not type(None)]
        literals = [a for a in options if typing.get_origin(a) is typing.Literal]
        if literals and isinstance(value, str):
            # An enum: the SDK also admits `str` for values added later; the sandbox must use listed ones.
            allowed = {v for lit in literals for v in typing.get_args(lit)}
            if value not in allowed:
                problems.append(f"{where}: {value!r} is not one of the SDK's values")
            return
        attempts = []
        for option in options:
            found: list[str] = []
            check(value, option, where, found)
            if not found:
                return
            # Report against the option of the value's own JSON kind (an expanded object, not its id).
            same_kind = not any(p.startswith(f"{where}: expected") for p in found)
            attempts.append((not same_kind, len(found), found))
        problems.extend(min(attempts)[2] if attempts else [f"{where}: no option matches"])
        return
    if value is None:
        problems.append(f"{where}: null where the SDK declares a non-nullable value")
        return
    if origin is typing.Literal:
        if value not in args:
            problems.append(f"{where}: {value!r} is not one of {args}")
        return
    if origin in (list, typing.List):
        if not isinstance(value, list):
            problems.append(f"{where}: expected an array, got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            check(item, args[0] if args else typing.Any, f"{where}[{i}]", problems)
        return
    if origin in (dict, typing.Dict):
        if not isinstance(value, dict):
            problems.append(f"{where}: expected an object, got {type(value).__name__}")
        return
    cls = origin or ann
    if isinstance(cls, type) and issubclass(cls, StripeObject):
        if not isinstance(value, dict):
            problems.append(f"{where}: expected an object, got {type(value).__name__}")
            return
        if cls.__name__ in ("UntypedStripeObject",):
            return
        if issubclass(cls, (stripe.ListObject, stripe.SearchResultObject)):
            item = args[0] if args else typing.Any
            check_object(value, cls, where, problems, item=item)
            return
        check_object(value, cls, where, problems)
        return
    python = {str: str, int: int, bool: bool, float: (int, float)}.get(ann)
    if python is None:
        return  # a type the SDK uses that JSON cannot be held to more closely
    if not isinstance(value, python) or (python is int and isinstance(value, bool)):
        problems.append(f"{where}: expected {ann.__name__}, got {type(value).__name__} {value!r}")


def check_object(obj: dict, cls, where: str, problems: list[str], item=typing.Any) -> None:
    fields = declared(cls)
    if issubclass(cls, (stripe.ListObject, stripe.SearchResultObject)):
        fields = {**fields, "object": str}
        if issubclass(cls, stripe.SearchResultObject):
            # The SDK types next_page as str; Stripe sends null on the last page.
            fields["next_page"] = typing.Optional[str]
            # Stripe sends `url`; the class reads it (`_get_url_for_search`) without annotating it.
            fields["url"] = str
    for name in obj:
        if name not in fields:
            problems.append(f"{where}.{name}: not a field of {cls.__name__} in the SDK")
    for name, value in obj.items():
        if name in fields:
            ann = fields[name]
            if name == "data" and isinstance(value, list):
                for i, entry in enumerate(value):
                    check(entry, item, f"{where}.data[{i}]", problems)
                continue
            check(value, ann, f"{where}.{name}", problems)
    kind = obj.get("object")
    # A deleted object is Stripe's stub: its id, its kind and `deleted: true`.
    if cls in RESOURCES.values() and kind in RESOURCES and obj.get("deleted") is not True:
        for name in sorted(required_fields(kind) - set(obj)):
            problems.append(f"{where}.{name}: missing (the SDK declares it on this version)")


def check_response(body: dict) -> list[str]:
    """Every disagreement between one response body and the SDK's definitions."""
    problems: list[str] = []
    if "error" in body:
        error = body["error"]
        check_object(error, ErrorObject, "error", problems)
        return problems
    kind = body.get("object")
    if kind == "list":
        check_object(body, stripe.ListObject, "list", problems)
    elif kind == "search_result":
        check_object(body, stripe.SearchResultObject, "search_result", problems)
    elif kind in RESOURCES:
        check_object(body, RESOURCES[kind], kind, problems)
    else:
        problems.append(f"$: an object the SDK has no class for ({kind!r})")
    return problems

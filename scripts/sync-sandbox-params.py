#!/usr/bin/env python3
"""Write pos/sandbox/stripe_definitions.json from the installed `stripe` package.

The sandbox is standard library only, so it cannot read the SDK at run time; this
file is its copy of what the pinned SDK declares for the endpoints it serves: the
API version, each call's parameter names (from `stripe/params/*Params`), and each
object's expandable fields (attributes typed `ExpandableField[...]`).

The Python package cannot tell "may be absent" from "may be null" (both are `Optional`);
stripe-node's generated type declarations can (`name?: T` is optional, `T | null` is
nullable). So `fields` comes from the stripe-node release whose `apiVersion` is the Python
package's, pinned as `stripe-declarations` in tests/node/package.json (installed by
`scripts/setup --test`): for each interface reachable from the objects the sandbox serves,
each field as `required`, `nullable`, `optional` or `optional nullable`, with the interface
it holds (`[]` for an array of them). A test fails while the file and the installed
packages disagree, so a version bump is a deliberate act:

    .venv/bin/python scripts/sync-sandbox-params.py && git diff pos/sandbox/stripe_definitions.json
"""

from __future__ import annotations

import json
import re
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

# The stripe-node release whose apiVersion equals the Python package's (tests/node/package.json).
NODE_PACKAGE = ROOT / "tests" / "node" / "node_modules" / "stripe-declarations"
NODE_FILES = [
    "shared.d.ts",
    "resources/PaymentIntents.d.ts",
    "resources/Charges.d.ts",
    "resources/Refunds.d.ts",
    "resources/PaymentMethods.d.ts",
    "resources/Terminal/Readers.d.ts",
    "resources/Terminal/Locations.d.ts",
]
# Each object the sandbox serves, and Stripe's stub after a DELETE, by stripe-node interface.
NODE_OBJECTS = {
    "payment_intent": "PaymentIntent",
    "charge": "Charge",
    "refund": "Refund",
    "payment_method": "PaymentMethod",
    "terminal.reader": "Reader",
    "terminal.location": "Location",
}
NODE_DELETED = {"terminal.reader": "DeletedReader", "terminal.location": "DeletedLocation"}

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


_BLOCK = re.compile(r"^(?:export\s+)?(?:declare\s+)?(interface|namespace|class|enum)\s+(\w+)")
_FIELD = re.compile(r"^(\w+)(\??):\s*(.+)$", re.S)


def _statements(text: str):
    """(kind, name_or_text) for a TypeScript declaration file without comments: ("open", kind, name),
    ("close",), ("stmt", text). Braces of inline object types stay inside their statement."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"^\s*//.*$", "", text, flags=re.M)
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            return
        if text[i] == "}":
            yield ("close", "", "")
            i += 1
            continue
        depth, j = 0, i
        while j < n:
            c = text[j]
            if c in "'\"`":
                j = text.index(c, j + 1)
            elif c in "<([":
                depth += 1
            elif c in ">)]" and not (c == ">" and text[j - 1] == "="):
                depth -= 1
            elif c == "{":
                block = _BLOCK.match(text[i:j].strip())
                if depth == 0 and block:
                    yield ("open", block[1], block[2])
                    break
                depth += 1
            elif c == "}":
                depth -= 1
            elif c == ";" and depth == 0:
                yield ("stmt", "", text[i:j].strip())
                break
            j += 1
        i = j + 1


def _union(text: str) -> list[str]:
    """The top-level members of a TypeScript union type."""
    parts, depth, start = [], 0, 0
    for k, c in enumerate(text):
        if c in "<({[":
            depth += 1
        elif c in ">)}]":
            depth -= 1
        elif c == "|" and depth == 0:
            parts.append(text[start:k].strip())
            start = k + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def _parse_node_declarations(package: Path) -> dict[str, dict[str, tuple[bool, str, str]]]:
    """{qualified interface: {field: (optional, raw type, scope)}} of the files in NODE_FILES."""
    found: dict[str, dict[str, tuple[bool, str, str]]] = {}
    for name in NODE_FILES:
        stack: list[tuple[str, str]] = []
        for kind, block, text in _statements((package / "cjs" / name).read_text()):
            if kind == "open":
                stack.append((block, text))
                if block == "interface":
                    found.setdefault(".".join(n for _k, n in stack), {})
            elif kind == "close":
                stack.pop()
            elif stack and stack[-1][0] == "interface":
                if text.startswith("["):  # an index signature: a map with any keys (Metadata)
                    found[".".join(n for _k, n in stack)]["*"] = (False, "map", "")
                    continue
                field = _FIELD.match(text)
                if field:
                    scope = ".".join(n for _k, n in stack[:-1])
                    found[".".join(n for _k, n in stack)][field[1]] = (field[2] == "?", field[3], scope)
    return found


def _resolve(raw: str, scope: str, known) -> tuple[str | None, bool]:
    """The interface a field's type holds (TypeScript's scoping: innermost namespace first), and
    whether it is an array of them. `string | Charge` (an expandable id) holds Charge."""
    for member in _union(raw):
        array = False
        inner = re.fullmatch(r"(?:Array|ApiList)<(.+)>", member)
        if inner:
            member, array = inner[1].strip(), member.startswith("Array")
            if not array:
                return "list:" + (_resolve(member, scope, known)[0] or ""), False
        member = member.removeprefix("Stripe.")
        if not re.fullmatch(r"[\w.]+", member):
            continue
        parts = scope.split(".") if scope else []
        for k in range(len(parts), -1, -1):
            candidate = ".".join([*parts[:k], member])
            if candidate in known:
                return candidate, array
    return None, False


def node_fields(package: Path = NODE_PACKAGE) -> dict:
    """Which fields each object may leave out and which may be null, as stripe-node declares them."""
    version = re.search(r"ApiVersion = '([^']+)'", (package / "cjs" / "apiVersion.js").read_text())
    if version is None or version[1] != _ApiVersion.CURRENT:
        raise SystemExit(
            f"{package.name} declares API version {version and version[1]}, the stripe package "
            f"{_ApiVersion.CURRENT}: pin the stripe npm release of that version in tests/node/package.json"
        )
    parsed = _parse_node_declarations(package)
    out: dict[str, dict[str, str]] = {}
    todo = [*NODE_OBJECTS.values(), *NODE_DELETED.values()]
    while todo:
        name = todo.pop()
        if name in out:
            continue
        out[name] = {}
        for field, (optional, raw, scope) in sorted(parsed[name].items()):
            if field == "*":
                out[name][field] = "map"
                continue
            members = _union(raw)
            if members == ["void"]:
                continue  # `deleted?: void`: never on a live object
            nullable = "null" in members
            presence = ("optional " if optional else "") + ("nullable" if nullable else "")
            held, array = _resolve(raw, name if name in parsed else scope, parsed)
            text = presence.strip() or "required"
            if held:
                text += f" {held}{'[]' if array else ''}"
                target = held.removeprefix("list:")
                if target:
                    todo.append(target)
            out[name][field] = text
    return {
        "stripe_node": json.loads((package / "package.json").read_text())["version"],
        "objects": NODE_OBJECTS,
        "deleted": NODE_DELETED,
        "interfaces": dict(sorted(out.items())),
    }


def definitions() -> dict:
    return {
        "api_version": _ApiVersion.CURRENT,
        "sdk_version": stripe.VERSION,
        "params": {name: param_names(name) for name in PARAMS},
        "expandable": {obj: expandable(cls) for obj, cls in OBJECTS.items()},
        "fields": node_fields(),
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

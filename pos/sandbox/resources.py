"""What every resource of the sandbox's Stripe API shares: the caller, ids, rendering at the
caller's API version, and Stripe's list pagination.

The API is one class (`api.StripeAPI`) built from one module per resource, each a class that adds its
endpoints on top of what it needs: `Resources` here, then `payment_methods.PaymentMethods`,
`charges.Charges`, `payment_intents.PaymentIntents`, `refunds.Refunds`, and `terminal.TerminalMixin`.
Every handler runs under the store's lock with the caller (account and API version) and returns the
JSON object to answer with; failures raise `errors.StripeError`. Objects are stored in the shape of
the newest version the sandbox knows; `render` shows them as the caller's version has them.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field

from . import definitions, errors, params, search, versions
from .clock import Clock
from .store import Store

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    return f"{prefix}_{''.join(secrets.choice(_ALPHABET) for _ in range(length))}"


@dataclass(frozen=True)
class Caller:
    account: str
    publishable: bool = False
    version: versions.ApiVersion = field(default_factory=lambda: versions.parse(versions.CURRENT))


class Resources:
    def __init__(self, store: Store, clock: Clock, search_lag: float = 0.0):
        self.store = store
        self.clock = clock
        self.search = search.SearchIndex(search_lag)

    def now(self) -> int:
        return int(self.clock.now())

    @staticmethod
    def _new_id(prefix: str, length: int = 24) -> str:
        return new_id(prefix, length)

    def _get(self, caller: Caller, kind: str, ident: str, param: str = "id", name: str | None = None) -> dict:
        """The stored object, or Stripe's 404 resource_missing."""
        obj = self.store.get(caller.account, kind, ident)
        if obj is None:
            raise errors.resource_missing(name or kind, ident, param)
        return obj

    # -- rendering and paging ----------------------------------------------
    @staticmethod
    def _public(obj: dict) -> dict:
        return {k: v for k, v in obj.items() if not k.startswith("_")}

    def render(self, caller: Caller, obj: dict, expand: list) -> dict:
        """The JSON a client sees at its API version: private fields dropped, `expand[]` applied."""
        out = self._public(obj)
        kind = out.get("object")
        version = caller.version
        # Objects saved by an older sandbox may still hold fields of older versions.
        out.pop("charges", None)
        out.pop("invoice", None)
        if kind == "payment_intent":
            if not versions.ALLOWED_TYPES_ADDED.on(version):
                out.pop("allowed_payment_method_types", None)
            if not versions.CHARGES_LIST_REMOVED.on(version):
                ids = list(reversed(self.store.ids(caller.account, "charge", payment_intent=out["id"])))
                out["charges"] = {
                    "object": "list",
                    "has_more": False,
                    "total_count": len(ids),
                    "url": f"/v1/charges?payment_intent={out['id']}",
                    "data": [self.render(caller, self.store.stored(caller.account, "charge", c), []) for c in ids],
                }
        if kind in ("payment_intent", "charge") and not versions.INVOICE_REMOVED.on(version):
            out["invoice"] = None
        for path in expand or []:
            self._expand(caller, out, path)
        return definitions.prune(out)

    def _expand(self, caller: Caller, out: dict, path: str) -> None:
        head, _, rest = path.partition(".")
        if head == "refunds" and out.get("object") == "charge":
            ids = list(reversed(self.store.ids(caller.account, "refund", charge=out["id"])))
            out["refunds"] = {
                "object": "list",
                "has_more": False,
                "url": f"/v1/charges/{out['id']}/refunds",
                "data": [self.render(caller, self.store.stored(caller.account, "refund", r), []) for r in ids],
            }
            return
        value = out.get(head)
        if value is None:
            return
        if isinstance(value, str):
            kind = definitions.EXPANDS_TO.get(head)
            target = self.store.get(caller.account, kind, value) if kind else None
            if target is None:
                raise errors.not_in_sandbox(f"expand[{head}]")
            value = out[head] = self.render(caller, target, [])
        if rest:
            self._expand(caller, value, rest)

    def _page(self, caller: Caller, kind: str, p: dict, ids: list, keep=lambda o: True) -> dict:
        """Stripe's cursor pagination over ids stored oldest first, served newest first."""
        limit = _limit(p)
        created = _created_filter(p.get("created"))
        get = lambda i: self.store.stored(caller.account, kind, i)  # noqa: E731
        positions = {i: n for n, i in enumerate(ids)} if len(ids) < 64 else None

        def locate(ident, param):
            pos = positions.get(ident) if positions is not None else self._find(caller, kind, ids, ident)
            if pos is None:
                raise errors.resource_missing(kind, ident, param, status=400)
            return pos

        def wanted(obj):
            return keep(obj) and created(obj.get("created", 0))

        found: list[dict] = []
        if p.get("ending_before"):
            i = locate(p["ending_before"], "ending_before") + 1
            while i < len(ids) and len(found) <= limit:
                obj = get(ids[i])
                if wanted(obj):
                    found.append(obj)
                i += 1
            has_more = len(found) > limit
            found = list(reversed(found[:limit]))
        else:
            i = len(ids) - 1
            if p.get("starting_after"):
                i = locate(p["starting_after"], "starting_after") - 1
            while i >= 0 and len(found) <= limit:
                obj = get(ids[i])
                if wanted(obj):
                    found.append(obj)
                i -= 1
            has_more = len(found) > limit
            found = found[:limit]
        return {"data": [self.render(caller, o, _inner_expand(p)) for o in found], "has_more": has_more}

    def _find(self, caller: Caller, kind: str, ids: list, ident: str) -> int | None:
        pos = self.store.position(caller.account, kind, ident)
        if pos is not None and pos < len(ids) and ids[pos] == ident:
            return pos  # ids is the whole collection
        try:
            return ids.index(ident)
        except ValueError:
            return None


def _inner_expand(p: dict) -> list:
    # `expand[]=data.latest_charge` on a list expands inside each item.
    return [e[5:] for e in p.get("expand", []) if e.startswith("data.")]


def _limit(p: dict) -> int:
    limit = params.integer(p, "limit")
    if limit is None:
        return 10
    if not 1 <= limit <= 100:
        raise errors.validation(
            f"This value must be between 1 and 100 (it currently is {limit}).",
            code="parameter_invalid_integer",
            param="limit",
        )
    return limit


def _created_filter(raw):
    if raw is None:
        return lambda _ts: True
    if isinstance(raw, str):
        exact = params.integer({"created": raw}, "created")
        return lambda ts: ts == exact
    bounds = {}
    for op in raw:
        if op not in ("gt", "gte", "lt", "lte"):
            raise errors.parameter_unknown(f"created[{op}]")
        bounds[op] = params.integer(raw, op)
    checks = {
        "gt": lambda ts, v: ts > v,
        "gte": lambda ts, v: ts >= v,
        "lt": lambda ts, v: ts < v,
        "lte": lambda ts, v: ts <= v,
    }
    return lambda ts: all(checks[op](ts, v) for op, v in bounds.items())

"""Stripe's search for PaymentIntents: the query language a till uses, and the index's lag.

Stripe documents search as not read-after-write: "data is generally searchable in
under a minute; during outages, propagation of new or updated data could be
delayed" (https://docs.stripe.com/search#data-freshness). With a lag set, the
index keeps, for each object, the snapshots taken at each change and serves the
newest one whose time has come; a new object stays invisible until then, and a
changed one shows its old state. Retrieve by id is always current.
"""

from __future__ import annotations

import copy
import re
from collections import defaultdict

from . import errors


class SearchIndex:
    def __init__(self, lag_seconds: float = 0.0):
        self.lag = lag_seconds
        # (account, id) -> [(visible_from, snapshot)], oldest first
        self._versions: dict[tuple[str, str], list[tuple[float, dict]]] = defaultdict(list)

    def record(self, account: str, obj: dict, now: float) -> None:
        if not self.lag:
            return
        versions = self._versions[(account, obj["id"])]
        versions.append((now + self.lag, copy.deepcopy(obj)))
        # Snapshots older than the newest visible one can never be served again.
        visible = [i for i, (t, _o) in enumerate(versions) if t <= now]
        if len(visible) > 1:
            del versions[: visible[-1]]

    def view(self, account: str, obj: dict, now: float) -> dict | None:
        """The object as search sees it now, or None while it is not indexed yet."""
        if not self.lag:
            return obj
        seen = None
        for visible_from, snapshot in self._versions.get((account, obj["id"]), ()):
            if visible_from > now:
                break
            seen = snapshot
        if seen is None and (account, obj["id"]) not in self._versions:
            return obj  # created before the lag was set (or loaded from disk): indexed long ago
        return seen

    def clear(self) -> None:
        self._versions.clear()


# Stripe's search query language, the part a till uses: clauses such as
# metadata['sale_id']:'abc', status:'succeeded', amount>1000, joined by AND or OR.
_CLAUSE = re.compile(
    r"""\s*(?P<neg>-)?(?P<field>metadata\[(?P<q>['"])(?P<key>[^'"]+)(?P=q)\]|[a-z_]+)"""
    r"""\s*(?P<op>:|>=|<=|>|<)\s*(?:(?P<vq>['"])(?P<sval>[^'"]*)(?P=vq)|(?P<num>-?\d+))\s*"""
)


def parse_query(query: str):
    clauses, joiner, pos = [], None, 0
    while True:
        m = _CLAUSE.match(query, pos)
        if not m:
            raise errors.invalid_request(f"Invalid search query: {query!r}.", param="query")
        clauses.append(m)
        pos = m.end()
        if pos >= len(query):
            break
        word = re.match(r"(AND|OR)\s+", query[pos:])
        if not word:
            raise errors.invalid_request(f"Invalid search query: {query!r}.", param="query")
        if joiner and joiner != word.group(1):
            raise errors.invalid_request("Search queries cannot mix AND and OR.", param="query")
        joiner = word.group(1)
        pos += word.end()

    def test(m, obj):
        if m.group("key"):
            value = obj["metadata"].get(m.group("key"))
        elif m.group("field") in ("status", "currency", "customer", "amount", "created", "description"):
            value = obj.get(m.group("field"))
        else:
            raise errors.invalid_request(f"Field '{m.group('field')}' is not supported in search.", param="query")
        want = m.group("sval") if m.group("sval") is not None else m.group("num")
        op = m.group("op")
        if op == ":":
            result = value is not None and str(value) == want
        else:
            if value is None:
                return False
            a, b = int(value), int(want)
            result = {">": a > b, "<": a < b, ">=": a >= b, "<=": a <= b}[op]
        return not result if m.group("neg") else result

    combine = any if joiner == "OR" else all
    return lambda obj: combine(test(m, obj) for m in clauses)

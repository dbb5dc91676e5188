"""Armed faults for reliability tests: the next N matching requests fail in a chosen way.

Off unless a test arms a rule. Matching is on the method (or `*`) and a
shell-style pattern over the path, e.g. `/v1/payment_intents/*/confirm`.
"""

from __future__ import annotations

import fnmatch
import itertools
import threading
from dataclasses import asdict, dataclass, field

_ids = itertools.count(1)


@dataclass
class FaultRule:
    path: str
    method: str = "*"
    count: int = 1
    status: int | None = None          # answer this HTTP status without processing
    should_retry: bool | None = None   # with status: send Stripe-Should-Retry
    delay_ms: int = 0                  # wait this long before processing
    drop: bool = False                 # process fully, then close without answering
    id: int = field(default_factory=lambda: next(_ids))

    def __post_init__(self) -> None:
        if self.status is None and not self.delay_ms and not self.drop:
            raise ValueError("a fault rule needs status, delay_ms or drop")
        if self.status is not None and self.status not in (400, 401, 402, 403, 409, 429, 500, 502, 503, 504):
            raise ValueError(f"unsupported fault status {self.status}")
        if self.count < 1:
            raise ValueError("count must be at least 1")
        self.method = self.method.upper()

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and fnmatch.fnmatchcase(path, self.path)


class Faults:
    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def arm(self, path: str, **kwargs) -> FaultRule:
        rule = FaultRule(path=path, **kwargs)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[dict]:
        with self._lock:
            return [asdict(r) for r in self._rules]

    def take(self, method: str, path: str) -> FaultRule | None:
        """The first armed rule for this request, used up by one."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path):
                    rule.count -= 1
                    if rule.count == 0:
                        self._rules.remove(rule)
                    return rule
        return None

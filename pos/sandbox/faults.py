"""Armed faults for reliability tests: the next N matching requests fail, wait or are held.

Off unless a test arms a rule. Matching is on the method (or `*`) and a
shell-style pattern over the path, e.g. `/v1/payment_intents/*/confirm`.
"""

from __future__ import annotations

import fnmatch
import itertools
import threading
from dataclasses import dataclass, field, fields

_ids = itertools.count(1)


@dataclass
class FaultRule:
    path: str
    method: str = "*"
    count: int = 1
    status: int | None = None  # answer this HTTP status without processing
    should_retry: bool | None = None  # with status: send Stripe-Should-Retry
    delay_ms: int = 0  # wait this long before processing
    drop: bool = False  # process fully, then close without answering
    hold: bool = False  # wait before processing until a test releases the request
    id: int = field(default_factory=lambda: next(_ids))
    # For held requests: a test waits on `arrived`, sets `released`, waits on `done` (no sleeps).
    arrived: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)
    released: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)
    done: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.status is None and not self.delay_ms and not self.drop and not self.hold:
            raise ValueError("a fault rule needs status, delay_ms, drop or hold")
        if self.status is not None and self.status not in (400, 401, 402, 403, 409, 429, 500, 502, 503, 504):
            raise ValueError(f"unsupported fault status {self.status}")
        if self.count < 1:
            raise ValueError("count must be at least 1")
        self.method = self.method.upper()

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and fnmatch.fnmatchcase(path, self.path)

    def wait_arrived(self, timeout: float = 30.0) -> None:
        """Block until a held request has reached the sandbox."""
        if not self.arrived.wait(timeout):
            raise TimeoutError(f"no request matched {self.method} {self.path} in {timeout} s")

    def release(self) -> None:
        self.released.set()

    def wait_done(self, timeout: float = 30.0) -> None:
        """Block until the released request has been processed (its answer may be lost on the way)."""
        if not self.done.wait(timeout):
            raise TimeoutError(f"the held request {self.method} {self.path} did not finish in {timeout} s")

    def public(self) -> dict:
        """The rule as the admin API shows it (the events are the sandbox's own)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("arrived", "released", "done")}


class Faults:
    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._held: list[FaultRule] = []
        self._lock = threading.Lock()

    def held(self, rule_id: int) -> FaultRule | None:
        with self._lock:
            return next((r for r in self._held if r.id == rule_id), None)

    def arm(self, path: str, **kwargs) -> FaultRule:
        rule = FaultRule(path=path, **kwargs)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            for rule in self._held:
                rule.release()
            self._held.clear()

    def rules(self) -> list[dict]:
        with self._lock:
            return [r.public() for r in self._rules]

    def release_all(self) -> None:
        """Let every held request go (a reset never leaves a client hanging)."""
        with self._lock:
            for rule in self._held:
                rule.release()

    def take(self, method: str, path: str) -> FaultRule | None:
        """The first armed rule for this request, used up by one."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path):
                    rule.count -= 1
                    if rule.count == 0:
                        self._rules.remove(rule)
                    if rule.hold and rule not in self._held:
                        self._held.append(rule)
                    return rule
        return None

"""What every bench script reports: median and 95th percentile of timed runs, in milliseconds."""

from __future__ import annotations

import statistics
import time
from typing import Callable, Iterable


def p50_p95(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return values[0], values[0]
    return statistics.median(values), statistics.quantiles(values, n=20)[18]


def timed_ms(fn: Callable, items: Iterable) -> list[float]:
    """Milliseconds of fn(item) for each item."""
    out = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - start) * 1000)
    return out

"""Is every parameter a request carried declared by the pinned `stripe` package for that call?

The sandbox records each request with the name of the SDK's params type for its route
(`Exchange.params_type`); this walks the decoded form along that TypedDict, nested
TypedDicts included, and lists what the SDK does not declare.
"""

from __future__ import annotations

import sys
import typing

import stripe.params
from stripe._request_options import RequestOptions

_OPTIONS = set(RequestOptions.__annotations__)


def _typed_dict(ann, module):
    """The TypedDict inside NotRequired[...], Optional[...], List[...] or a forward reference, if any."""
    stack = [ann]
    while stack:
        current = stack.pop()
        if isinstance(current, typing.ForwardRef):
            current = getattr(module, current.__forward_arg__, None)
        if isinstance(current, type) and issubclass(current, dict) and hasattr(current, "__annotations__"):
            return current
        stack.extend(typing.get_args(current))
    return None


def undeclared(params_type: str, params: dict, where: str = "") -> list[str]:
    spec = getattr(stripe.params, params_type)
    return _walk(spec, params, where, top=True)


def _walk(spec, params: dict, where: str, top: bool = False) -> list[str]:
    hints = spec.__annotations__
    problems = []
    for name, value in params.items():
        path = f"{where}[{name}]" if where else name
        if name not in hints or (top and name in _OPTIONS):
            problems.append(path)
            continue
        inner = _typed_dict(hints[name], sys.modules[spec.__module__])
        if inner is None:
            continue
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            if isinstance(item, dict):
                problems += _walk(inner, item, f"{path}[{i}]" if isinstance(value, list) else path)
    return problems

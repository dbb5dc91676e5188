"""Stripe's form encoding: `metadata[sale_id]=7`, `payment_method_types[0]=card`, `expand[]=x`."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


class FormError(ValueError):
    def __init__(self, message: str, param: str):
        super().__init__(message)
        self.param = param


def _split(name: str) -> list[str]:
    head, _, rest = name.partition("[")
    if not rest:
        return [head]
    tail = "[" + rest
    parts = _SEGMENT.findall(tail)
    if "".join(f"[{p}]" for p in parts) != tail:
        raise FormError(f"Invalid parameter name: {name}", name)
    return [head, *parts]


def _listify(node):
    """Dicts whose keys are all indices (or appends) become lists, in index order."""
    if not isinstance(node, dict):
        return node
    for key, value in node.items():
        node[key] = _listify(value)
    if node and all(k.isdigit() for k in node):
        return [node[k] for k in sorted(node, key=int)]
    return node


def decode(body: str) -> dict:
    """Turn a form-encoded body (or query string) into nested dicts and lists."""
    root: dict = {}
    for name, value in parse_qsl(body, keep_blank_values=True):
        path = _split(name)
        node = root
        for key in path[:-1]:
            child = node.get(key)
            if child is None:
                child = node[key] = {}
            elif not isinstance(child, dict):
                raise FormError(f"Invalid parameter: {name}", path[0])
            node = child
        leaf = path[-1]
        if leaf == "":
            # `expand[]=a&expand[]=b`: number appended items in arrival order.
            leaf = str(len(node))
        if isinstance(node.get(leaf), dict):
            raise FormError(f"Invalid parameter: {name}", path[0])
        node[leaf] = value
    return _listify(root)

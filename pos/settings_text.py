"""How the key's state is described to people, the same in the settings dialog and `pos config show`."""

from __future__ import annotations

from pos.services.keys import KeyState

SOURCES = {
    "keyring": "kept in the OS keyring",
    "session": "for this session only (no keyring)",
    "env": "from POS_STRIPE_API_KEY, which takes precedence",
    "given": "given at start",
}


def describe_key(state: KeyState) -> str:
    if state.demo:
        return "No key: demo mode (the built-in sandbox; no real money moves)."
    return f"Test key {state.masked} — {SOURCES.get(state.source, state.source)}."

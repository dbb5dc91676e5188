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


def key_warning_headline(warning: str) -> str:
    """Why the keyring cannot keep the key, in one line for the Settings page: the warning's first
    sentence and what it means for a key typed now. The whole warning (which keyring to install,
    how to unlock it) stays available under Details."""
    first = warning.split(". ", 1)[0].rstrip(".")
    return f"{first}. A key typed here is kept for this session only."

"""What the till tells about itself: the status bar's one plain line on card payments, and the
technical facts that belong under Help → About this till (not on the selling screen, not up front in
Settings): versions, the data folder, the Stripe address and API version, and the key's story."""

from __future__ import annotations

from dataclasses import dataclass

from .keys import KeyState


def card_mode(state: KeyState | None, read_only: bool = False) -> str:
    """The status bar's words for how cards are taken now: "Card: test mode", "Card: live",
    "Card: demo (no real money)" or "Card: offline" (a key the keyring cannot give; no payments)."""
    if read_only:
        return "Card: off (read-only window)"
    if state is None or state.demo:
        return "Card: demo (no real money)"
    if state.unavailable:
        return "Card: offline"
    key = state.key or ""
    return "Card: live" if key.startswith(("sk_live_", "rk_live_")) else "Card: test mode"


def shown_address(url: str) -> str:
    """An address as About shows it: scheme, host, port and path. A login (user:password@) or a query
    (?key=…) written into --stripe-base-url may hold a secret, and About is a screen anyone can read."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # not an address at all (a bad port): shown as nothing rather than as typed
        return "(not a valid address)"
    if ":" in host:  # an IPv6 address is written in brackets
        host = f"[{host}]"
    return urlunsplit((parts.scheme, host + port, parts.path, "", ""))


@dataclass(frozen=True)
class AboutTill:
    """The facts About shows, gathered by the wiring (pos/app.py) from where each is known."""

    app_version: str
    python_version: str
    stripe_package: str  # the official `stripe` client's version
    stripe_api_version: str  # the API version it speaks (decision 0003)
    stripe_base_url: str
    data_folder: str
    till_id: str
    key: str  # the key's story in words (settings_text.describe_key), never the key
    keyring_note: str = ""  # why the keyring cannot keep the key, in full, when it cannot

    def rows(self, qt_version: str) -> list[tuple[str, str]]:
        rows = [
            ("App", self.app_version),
            ("Python", self.python_version),
            ("Qt", qt_version),
            ("stripe package", self.stripe_package),
            ("Stripe API version", self.stripe_api_version),
            ("Stripe address", shown_address(self.stripe_base_url)),
            ("Data folder", self.data_folder),
            ("Till", self.till_id),
            ("Stripe key", self.key),
        ]
        if self.keyring_note:
            rows.append(("Keyring", self.keyring_note))
        return rows

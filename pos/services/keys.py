"""The Stripe key: where it comes from, how a new one is checked and stored, and the till's mode.

Precedence: POS_STRIPE_API_KEY (headless use), then the OS keyring, then a key
typed in for this session only (when no keyring works), else demo mode. A key
is stored only after it is accepted (a test secret or restricted key) and one
cheap read call to Stripe accepted it too. It is never written to a file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Mapping, Protocol

from pos.domain.api_keys import classify, mask
from pos.domain.errors import PosError

KEY_ENV = "POS_STRIPE_API_KEY"


class KeyStoreUnavailable(PosError):
    """The OS keyring cannot be used; the message says what is missing and how to fix it."""


class KeyRefused(PosError):
    """The key was not stored; the message says why, in plain words."""


class KeyStore(Protocol):
    def get(self) -> str | None: ...
    def set(self, key: str) -> None: ...
    def delete(self) -> None: ...


class KeyMarker(Protocol):
    """Remembers (never the key itself) whether this till was set up with a Stripe key, so a keyring
    that cannot be read at start is reported instead of silently turning the till into a demo."""

    def was_configured(self) -> bool: ...
    def set_configured(self, configured: bool) -> None: ...


@dataclass(frozen=True)
class KeyState:
    key: str | None
    source: str  # env, keyring, session, demo, unavailable
    warning: str | None = None  # e.g. why the keyring could not be read

    @property
    def masked(self) -> str | None:
        return mask(self.key) if self.key else None

    @property
    def unavailable(self) -> bool:
        """A key was set up, but the keyring holding it cannot be read now: no payments, and no demo."""
        return self.source == "unavailable"

    @property
    def demo(self) -> bool:
        return self.key is None and not self.unavailable


class KeyManager:
    def __init__(
        self,
        store: KeyStore,
        check_key: Callable[[str], None],
        environ: Mapping[str, str] = os.environ,
        marker: KeyMarker | None = None,
    ):
        self._store = store
        self._check_key = check_key
        self._environ = environ
        self._marker = marker
        self._session_key: str | None = None

    def current(self) -> KeyState:
        from_env = self._environ.get(KEY_ENV)
        if from_env:
            return KeyState(from_env, "env")
        warning = None
        try:
            stored = self._store.get()
        except KeyStoreUnavailable as exc:
            stored, warning = None, str(exc)
        if stored:
            return KeyState(stored, "keyring")
        if self._session_key:
            return KeyState(self._session_key, "session", warning)
        if warning and self._marker is not None and self._marker.was_configured():
            return KeyState(None, "unavailable", warning)
        return KeyState(None, "demo", warning)

    def save(self, key: str) -> KeyState:
        """Check and store a key; raises KeyRefused with the reason when it is not stored."""
        key = key.strip()
        verdict = classify(key)
        if not verdict.accepted:
            raise KeyRefused(verdict.reason)
        self._check_key(key)  # raises KeyRefused if Stripe does not take it
        try:
            self._store.set(key)
        except KeyStoreUnavailable as exc:
            self._session_key = key
            return KeyState(key, "session", str(exc))
        self._session_key = None
        if self._marker is not None:
            self._marker.set_configured(True)
        return KeyState(key, "keyring")

    def remove(self) -> KeyState:
        self._session_key = None
        try:
            self._store.delete()
        except KeyStoreUnavailable as exc:
            return KeyState(None, "demo", str(exc))
        if self._marker is not None:
            self._marker.set_configured(False)
        return self.current()

"""The Stripe key in the OS keyring (Keychain, Credential Locker, Secret Service), and nowhere else."""

from __future__ import annotations

import keyring
import keyring.errors

from pos.services.keys import KeyStoreUnavailable

USER = "stripe-api-key"


class KeyringUnavailable(KeyStoreUnavailable):
    """No usable keyring; the message says what is missing and how to fix it."""


def _unavailable(exc: Exception) -> KeyringUnavailable:
    if isinstance(exc, keyring.errors.NoKeyringError):
        return KeyringUnavailable(
            "No keyring is available to keep the Stripe key safely. Install one (on Debian: "
            "gnome-keyring, or KDE Wallet) and log in again; until then a key typed in is kept "
            "for this session only."
        )
    if isinstance(exc, keyring.errors.KeyringLocked):
        return KeyringUnavailable(
            "The keyring is locked. Unlock it (log in to the desktop) and try again; "
            "until then a key typed in is kept for this session only."
        )
    return KeyringUnavailable(
        f"The keyring could not be used ({type(exc).__name__}). Unlock or repair it; "
        "until then a key typed in is kept for this session only."
    )


class KeyringStore:
    def __init__(self, profile: str = "default"):
        self.service = f"pos:{profile}"

    def get(self) -> str | None:
        try:
            return keyring.get_password(self.service, USER)
        except keyring.errors.KeyringError as exc:
            raise _unavailable(exc) from None

    def set(self, key: str) -> None:
        try:
            keyring.set_password(self.service, USER, key)
        except keyring.errors.KeyringError as exc:
            raise _unavailable(exc) from None

    def delete(self) -> None:
        try:
            keyring.delete_password(self.service, USER)
        except keyring.errors.PasswordDeleteError:
            pass  # nothing stored: removing is already done
        except keyring.errors.KeyringError as exc:
            raise _unavailable(exc) from None

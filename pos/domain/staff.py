"""Who works the till: roles, what each may do, and PINs kept only as salted slow hashes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .errors import PosError
from .text import TextError, check_text, first_invisible, printable

PIN_MIN, PIN_MAX = 4, 8
MAX_WRONG_PINS = 5  # in a row; then the cashier is locked for LOCK_MINUTES
LOCK_MINUTES = 5
# scrypt's cost: 2**14 × 8 × 128 bytes = 16 MiB and ~50 ms a try, so a stolen database cannot be
# searched through every 4–8 digit PIN cheaply (10**8 PINs × 50 ms is over 50 days on one core).
_N, _R, _P = 2**14, 8, 1


class StaffError(PosError, ValueError):
    """A cashier cannot be added, changed or signed in; the message is for the person at the till."""


def no_such_cashier(name: str) -> StaffError:
    """The refusal for a name no cashier has, naming it printably: a name typed on the command line
    may hold an ESC, which the terminal would otherwise take as a command."""
    return StaffError(f"There is no cashier called {printable(name)}.")


class Role(StrEnum):
    CASHIER = "cashier"
    MANAGER = "manager"
    OWNER = "owner"


class Permission(StrEnum):
    """What a cashier may not do alone: a manager (or the owner) approves it with their PIN."""

    REFUND = "refund"
    DISCOUNT_ABOVE_LIMIT = "give a discount above the limit"
    OPEN_DRAWER = "open the drawer without a sale"
    VOID_AFTER_PAY = "void after Pay was pressed"
    REPORTS = "run the X and Z reports"
    CATALOG = "change the catalog"
    SETTINGS = "change the settings"
    STRIPE_KEY = "change the Stripe key"
    STAFF = "add cashiers, disable them or set their PINs"
    SHOP_LINK = "change how the till reaches the shop database"
    PAY_OUT_BEYOND_CASH = "pay out more than the drawer holds"
    RETURN_WITHOUT_RECEIPT = "take back goods without a receipt"
    ISSUE_GIFT_CARD = "issue a gift card without a sale"
    # A code is a bearer instrument: the list of every code with its balance is money to whoever reads it.
    LIST_GIFT_CARDS = "see every gift card's code"
    STOCK_COUNT = "approve a stock count"  # it changes stock by the variance
    OPEN_PRICE_ABOVE_LIMIT = "sell at a typed price above the limit"
    EXPIRE_GIFT_CARDS = "take what is left off expired gift cards"


_RIGHTS = {
    Role.CASHIER: frozenset(),
    # The Stripe key and the shop link's trust (its CA, or plaintext) are the owner's alone.
    Role.MANAGER: frozenset(Permission) - {Permission.STRIPE_KEY, Permission.SHOP_LINK},
    Role.OWNER: frozenset(Permission),
}


def may(role: Role, permission: Permission) -> bool:
    return permission in _RIGHTS[role]


_RANK = {Role.CASHIER: 0, Role.MANAGER: 1, Role.OWNER: 2}


def may_manage(role: Role, target: Role) -> bool:
    """Who may add, disable or set the PIN of a cashier of `target`'s role: one who may manage
    staff and outranks them, or an owner. A manager who could reset another manager's PIN could
    approve as her; so managers manage cashiers (and their own PIN), owners everyone."""
    return may(role, Permission.STAFF) and (role is Role.OWNER or _RANK[role] > _RANK[target])


@dataclass(frozen=True)
class Cashier:
    name: str
    role: Role
    active: bool = True
    locked_until: str | None = None  # UTC ISO time, after five wrong PINs


def check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise StaffError("A cashier needs a name.")
    if len(name) > 40:
        raise StaffError("A cashier's name is at most 40 characters.")
    try:
        name = check_text(name, "A cashier's name")  # tabs and line breaks were made spaces above
    except TextError as exc:
        raise StaffError(f"{exc}.") from None
    hidden = first_invisible(name)
    if hidden is not None:
        # "Ann" and "Ann\u200b" read the same in the trail, on reports and on the approval list: an
        # invisible character would let one cashier pass for another.
        raise StaffError(
            f"A cashier's name holds an invisible character (U+{ord(hidden):04X}): it would read as another's name."
        )
    return name


def check_pin(pin: str) -> str:
    if not (pin.isascii() and pin.isdigit() and PIN_MIN <= len(pin) <= PIN_MAX):
        raise StaffError(f"A PIN is {PIN_MIN} to {PIN_MAX} digits.")
    return pin


def hash_pin(pin: str) -> str:
    """scrypt$n$r$p$salt$hash, with a fresh 16-byte salt: the only form a PIN is ever kept in."""
    # hashlib loads OpenSSL: imported with the first PIN, not with Permission (the window's frame
    # imports this module and paints before any PIN is asked for; issue 27 item 3).
    import hashlib
    import secrets

    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(check_pin(pin).encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def pin_matches(pin: str, stored: str) -> bool:
    import hashlib  # see hash_pin
    import hmac

    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        tried = hashlib.scrypt(
            pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=len(digest) // 2
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(tried.hex(), digest)

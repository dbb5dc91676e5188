"""Who is at the till: cashiers signing in with a PIN, manager approval, and voids.

While the shop has no cashier the till works as before (a one-person shop): nothing is asked.
Once one exists, the till opens on sign-in, and what a cashier's role does not allow needs a
manager's (or the owner's) PIN at the till. Every sign-in, approval and void is recorded in the
audit trail with the names involved; a PIN never is.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from datetime import datetime, timedelta, timezone
from typing import Callable, Protocol

from pos.domain.money import Money
from pos.domain.staff import (
    no_such_cashier,
    LOCK_MINUTES,
    MAX_WRONG_PINS,
    Cashier,
    Permission,
    Role,
    StaffError,
    check_name,
    check_pin,
    hash_pin,
    may,
    may_manage,
    pin_matches,
)

__all__ = ["Approval", "Grant", "Staff", "StaffError", "StaffStore", "VoidKind"]


class StaffStore(Protocol):
    def count_active(self) -> int: ...
    def all(self) -> list[Cashier]: ...
    def get(self, name: str) -> tuple[Cashier, str, int] | None: ...
    def add(self, name: str, role: Role, pin_hash: str) -> Cashier: ...
    def set_active(self, name: str, active: bool) -> None: ...
    def set_pin(self, name: str, pin_hash: str) -> None: ...
    def record_attempt(self, name: str, ok: bool, locked_until: str | None) -> None: ...
    def record(
        self, kind: str, subject: str, payload: dict[str, object], approved_by: str = "", actor: str | None = None
    ) -> None: ...
    def record_void(
        self, kind: str, sale_id: int | None, amount_minor: int, currency: str, reason: str, approved_by: str = ""
    ) -> None: ...


_AN = {Role.CASHIER: "a", Role.MANAGER: "a", Role.OWNER: "an"}


class VoidKind(StrEnum):
    LINE = "line"  # a line removed after Pay was pressed
    CART = "cart"  # the cart cleared after Pay was pressed
    SALE = "sale"  # a sale voided with parts paid (they were given back)


@dataclass(frozen=True)
class Approval:
    manager: str
    permission: Permission


@dataclass(frozen=True)
class Grant:
    """A window opened on someone's rights (Settings, Reports, Catalog, Receipts, the drawer's):
    the cashier signed in then, and whose rights opened it (the approving manager's, or their own)."""

    signed_in: str
    rights_of: str


class Staff:
    def __init__(
        self,
        store: StaffStore,
        on_change: Callable[[str], None] = lambda _name: None,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ):
        """`on_change(name)` is told who is signed in ("" for nobody), so every record names them."""
        self._store = store
        self._on_change = on_change
        self._clock = clock
        self.current: Cashier | None = None
        self._pin_hash = ""  # the signed-in cashier's PIN hash then: a new PIN since signs them out

    # -- the staff list ---------------------------------------------------------------------
    @property
    def required(self) -> bool:
        """Whether the till asks who is at it: as soon as one active cashier exists."""
        return self._store.count_active() > 0

    def cashiers(self) -> list[Cashier]:
        return self._store.all()

    def add(self, name: str, role: Role | str, pin: str) -> Cashier:
        self._may_manage(Role(role))
        name = check_name(name)
        same = next((c.name for c in self._store.all() if c.name.casefold() == name.casefold()), None)
        if same is not None and same != name:  # the store names an exact match itself
            # "ann" beside "Ann": `--as ann` and the approval list would be a guess at who is meant.
            raise StaffError(f"There is already a cashier called {same}.")
        return self._store.add(name, Role(role), hash_pin(check_pin(pin)))

    def disable(self, name: str) -> None:
        if self.current is None or self.current.name != name:  # one may always step down oneself
            self._may_manage(self._role_of(name))
        self._keep_someone_in_charge(name)
        self._store.set_active(name, False)
        if self.current is not None and self.current.name == name:
            self.sign_out()

    def set_pin(self, name: str, pin: str) -> None:
        if self.current is None or self.current.name != name:  # one's own PIN is one's own to change
            self._may_manage(self._role_of(name))
        self._store.set_pin(name, hash_pin(check_pin(pin)))

    def _keep_someone_in_charge(self, name: str) -> None:
        """Refuse to disable the last active owner, or the last active cashier of all. With no owner
        left nobody may ever change the Stripe key, the shop link or a manager again; with nobody
        active the till asks no one (`required` is false): a manager who disabled everyone, herself
        last, could then add herself as an owner with no PIN at all."""
        active = [c for c in self._store.all() if c.active]
        target = next((c for c in active if c.name == name), None)
        if target is None:
            return  # already disabled, or no such cashier: the store says which
        if len(active) == 1:
            raise StaffError(f"{name} is the last active cashier: without one the till would ask nobody who is at it.")
        if target.role is Role.OWNER and not any(c.role is Role.OWNER and c.name != name for c in active):
            raise StaffError(f"{name} is the last active owner: add another owner first.")

    def _role_of(self, name: str) -> Role:
        found = self._store.get(name)
        if found is None:
            raise no_such_cashier(name)
        return found[0].role

    def _may_manage(self, target: Role) -> None:
        """Once cashiers exist, whoever acts (`act_as`) must be allowed to manage this role."""
        if self.current is not None and not may_manage(self.current.role, target):
            raise StaffError(
                f"{self.current.name} is a {self.current.role} and cannot add or change {_AN[target]} {target}."
            )

    # -- signing in -------------------------------------------------------------------------
    def _check(self, name: str, pin: str) -> Cashier:
        """The cashier whose PIN this is; five wrong in a row lock them for five minutes, said so."""
        return self._check_hash(name, pin)[0]

    def _check_hash(self, name: str, pin: str) -> tuple[Cashier, str]:
        """`_check`, with the PIN hash on file (kept to notice a PIN changed while signed in)."""
        found = self._store.get(name)
        if found is None or not found[0].active:
            raise StaffError(f"{name} is not a cashier here (or was disabled).")
        cashier, stored, wrong_before = found
        now = self._clock()
        if cashier.locked_until and datetime.fromisoformat(cashier.locked_until) > now:
            until = datetime.fromisoformat(cashier.locked_until).astimezone().strftime("%H:%M")
            raise StaffError(f"{name} is locked until {until} after {MAX_WRONG_PINS} wrong PINs. Ask a manager.")
        if pin_matches(pin, stored):
            self._store.record_attempt(name, True, None)
            return cashier, stored
        wrong = wrong_before + 1
        lock = (now + timedelta(minutes=LOCK_MINUTES)).isoformat() if wrong >= MAX_WRONG_PINS else None
        self._store.record_attempt(name, False, lock)
        if lock is not None:
            raise StaffError(
                f"Wrong PIN. {name} is locked for {LOCK_MINUTES} minutes after {MAX_WRONG_PINS} wrong PINs."
            )
        left = MAX_WRONG_PINS - wrong
        raise StaffError(f"Wrong PIN for {name}. {left} {'try' if left == 1 else 'tries'} left before a lock.")

    def sign_in(self, name: str, pin: str) -> Cashier:
        cashier, self._pin_hash = self._check_hash(name, pin)
        self.current = cashier
        self._on_change(cashier.name)
        self._store.record("signed_in", cashier.name, {"role": str(cashier.role)}, actor=cashier.name)
        return cashier

    def act_as(self, name: str, pin: str, permission: Permission) -> Cashier:
        """A command run by a named cashier (`pos --as NAME`): their PIN, checked as at the till (wrong
        ones count toward the lock), and the same right the window asks for; StaffError says why not.
        What the command then records names them."""
        cashier, pin_hash = self._check_hash(name, pin)
        if not may(cashier.role, permission):
            raise StaffError(f"{name} is a {cashier.role} and may not {permission}.")
        self.current, self._pin_hash = cashier, pin_hash
        self._on_change(cashier.name)
        return cashier

    def sign_out(self) -> None:
        if self.current is not None:
            self._store.record("signed_out", self.current.name, {}, actor=self.current.name)
        self.current = None
        self._pin_hash = ""
        self._on_change("")

    def recheck(self) -> str | None:
        """Sign out the cashier at the till if they were disabled, or their PIN changed, since they
        signed in (here or by another process: `pos cashiers disable`); None while they still stand,
        else why they were signed out."""
        current = self.current
        if current is None:
            return None
        found = self._store.get(current.name)
        if found is not None and found[0].active and found[1] == self._pin_hash:
            return None
        why = "was disabled" if found is None or not found[0].active else "has a new PIN"
        self.sign_out()
        return f"{current.name} {why}: signed out."

    # -- rights and approval ------------------------------------------------------------------
    def needs_approval(self, permission: Permission) -> bool:
        if not self.required:
            return False
        self.recheck()  # a manager disabled meanwhile has no rights left
        return self.current is None or not may(self.current.role, permission)

    def approvers(self, permission: Permission) -> list[Cashier]:
        return [c for c in self._store.all() if c.active and may(c.role, permission)]

    def approve(self, name: str, pin: str, permission: Permission, what: str) -> Approval:
        """A manager's PIN for something the signed-in cashier may not do alone; recorded with both names."""
        manager = self._check(name, pin)
        if not may(manager.role, permission):
            raise StaffError(f"{name} is a {manager.role} and cannot approve this ({permission}).")
        self._store.record(
            "approval",
            what,
            {"permission": str(permission)},
            approved_by=manager.name,
            actor=self.current.name if self.current else "",
        )
        return Approval(manager.name, permission)

    def covers(self, approval: Approval | None, permission: Permission) -> bool:
        """Whether this may be done now: no approval needed, or the approver (still active) may do it."""
        if not self.needs_approval(permission):
            return True
        if approval is None:
            return False
        found = self._store.get(approval.manager)
        return found is not None and found[0].active and may(found[0].role, permission)

    # -- windows opened on someone's rights ---------------------------------------------------
    def grant(self, approved_by: str = "") -> Grant:
        """What a window opened now stands on (see `stands`)."""
        current = self.current.name if self.current else ""
        return Grant(current, approved_by or current)

    def stands(self, grant: Grant) -> bool:
        """Whether a window opened on `grant` may stay open: the same cashier is still signed in (an
        idle lock, a sign-out or a switch ends it; the next cashier never inherits it), and whoever's
        rights opened it is still active. With no cashiers on file, everything stands."""
        if not self.required:
            return True
        self.recheck()
        if self.current is None or self.current.name != grant.signed_in:
            return False
        if grant.rights_of and grant.rights_of != self.current.name:
            found = self._store.get(grant.rights_of)
            return found is not None and found[0].active
        return True

    # -- voids -------------------------------------------------------------------------------
    def record_void(
        self, kind: VoidKind, amount: Money, reason: str, sale_id: int | None = None, approved_by: str = ""
    ) -> None:
        reason = " ".join(reason.split())
        if not reason:
            raise StaffError("Say why (a void needs a reason).")
        self._store.record_void(kind, sale_id, amount.minor, amount.currency, reason, approved_by)

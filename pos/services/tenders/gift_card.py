"""A gift card as a tender: redeemed from its ledger through the phases of the payment machine, given
back to the card when its sale is voided or refunded.

A redemption is journaled in the till (its own row, with its key) before the card's ledger hears of
it; the ledger (services/giftcards.py: the till's own, or the shop's) debits at most once per key.
Its phases, driven by `phases.settle` like a sale's:

    recovery point   CHARGE (the cashier's press)          PARK (recovery after a crash)
    started          debit the card (the key's entry);     ask the ledger for the key: debited ->
                     refused (balance, unknown card):      journal it; not -> write the key as given
                     closed; ledger away: stays started,   up (it can never debit later) and close
                     the same press again resends the key  the redemption: nothing was taken
    debited          the tender (and the receipt if it settles the sale), one till transaction
    recorded         done: the tender stands (the sale owes the rest)

A void gives each recorded redemption back to its card (a `refund_to_card` entry keyed by the
redemption, so once) and marks its tender returned.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Callable, Protocol

from pos.domain.catalog import Product
from pos.domain.giftcards import (
    BadCode,
    EntryKind,
    Purpose,
    card_line,
    expired_message,
    format_code,
    new_code,
    redeemable,
    sold_card,
)
from pos.domain.money import Money
from pos.domain.receipt import Receipt, format_receipt_no
from pos.domain.tender import TenderKind

from ..crashpoints import crash_point
from ..giftcards import (
    GiftCardError,
    GiftCardLedger,
    GiftCards,
    GivenBackAlready,
    LedgerUnavailable,
    card_sale_key,
    redemption_key,
)
from ..outcomes import Closed, Failed, Paid, PartPaid, SaleResult
from ..phases import Next, Phases, settle
from ..sales import SaleChanged, StorageError
from ..states import SaleState
from . import RefundRoute, TenderType, register

log = logging.getLogger(__name__)

GIFT_CARD = register(
    TenderType(
        TenderKind.GIFT_CARD,
        refund=RefundRoute.BALANCE,
        outside=True,
        stored_as=TenderKind.GIFT_CARD,
    )
)

NOT_TAKEN = "Nothing was taken from the card."


def tender_kind(purpose: Purpose) -> TenderKind:
    """The tender a card of the ledger pays as: one redemption path, the kind follows the card's purpose."""
    return TenderKind.STORE_CREDIT if purpose is Purpose.STORE_CREDIT else TenderKind.GIFT_CARD


def purpose_of(kind: TenderKind) -> Purpose:
    """The other way round: the purpose of the card a gift card or store credit tender was paid by."""
    return Purpose.STORE_CREDIT if kind is TenderKind.STORE_CREDIT else Purpose.GIFT_CARD


class RedemptionState(StrEnum):
    STARTED = "started"  # journaled; the ledger may or may not have debited (its key says)
    DEBITED = "debited"  # the ledger took it; the tender not written yet
    RECORDED = "recorded"  # the tender written (and the receipt, if it settled the sale)
    GIVEN_BACK = "given_back"  # its sale voided: the amount is back on the card
    CANCELLED = "cancelled"  # recovery gave the key up before it debited
    REFUSED = "refused"  # the ledger refused it (not enough on the card, unknown card)

    @property
    def unfinished(self) -> bool:
        return self in (RedemptionState.STARTED, RedemptionState.DEBITED)


@dataclass(frozen=True)
class Redemption:
    id: int
    sale_id: int
    key: str
    code: str
    shop: bool
    amount: Money
    state: RedemptionState
    note: str = ""
    # The tender it books: a gift card's code pays as `gift_card`, a store credit code (the same ledger,
    # purpose store_credit) as `store_credit`, so reports and refunds tell them apart.
    kind: TenderKind = TenderKind.GIFT_CARD


@dataclass(frozen=True)
class PaidPart:
    """A receipt's gift card or store credit part as the till has it (a copy of another till's receipt
    too): what the shop's ledger is asked by when the till never journaled the redemption."""

    till_id: str  # the till that took it
    kind: TenderKind
    amount: Money
    last4: str  # the code's last four characters, as the tender keeps them
    receipt_no: int = 0  # the receipt's number at that till, and the part's: the part's name shop-wide
    part_no: int = 0

    @property
    def refund_note(self) -> str:
        """The note of this part's refund_to_card entries, at whichever till: what caps them together."""
        return f"refund {self.till_id}-{format_receipt_no(self.receipt_no)} part {self.part_no}"


@dataclass(frozen=True)
class OwedCard:
    """A gift card a paid sale sold (or reloaded), not yet in its ledger."""

    id: int
    sale_key: str
    line_no: int
    code: str
    reload: bool
    amount: Money


class RedemptionJournal(Protocol):
    """The till's journal of gift card parts; each method that changes a state commits one recovery point."""

    def begin_redemption(
        self, sale_id: int, code: str, shop: bool, amount: Money, key: str, kind: TenderKind = ...
    ) -> Redemption: ...
    def record_debit(self, redemption_id: int) -> Redemption: ...
    def close_redemption(self, redemption_id: int, state: RedemptionState, note: str) -> Redemption: ...
    def finish_redemption(self, redemption_id: int) -> Paid | PartPaid: ...
    def redemption_result(self, redemption_id: int) -> Paid | PartPaid: ...
    def given_back(self, redemption_id: int, note: str) -> None: ...
    def open_redemption(self, sale_id: int) -> Redemption | None: ...
    def open_redemptions(self) -> list[Redemption]: ...
    def recorded_redemptions(self, sale_id: int) -> list[Redemption]: ...
    def due(self, sale_id: int) -> Money: ...
    def owed_cards(self) -> list[OwedCard]: ...
    def redemption_for_tender(self, tender_id: int) -> Redemption | None: ...
    def paid_part(self, tender_id: int) -> PaidPart | None: ...
    def card_issued(self, owed_id: int, shop: bool, expires_on: str = "") -> None: ...


class Goal(StrEnum):
    CHARGE = "charge"
    PARK = "park"


Step = Next[Redemption] | SaleResult


class RedemptionPhases(Phases[Redemption, SaleResult]):
    def __init__(self, journal: RedemptionJournal, ledger: Callable[[bool], GiftCardLedger], goal: Goal):
        self.journal, self.ledger, self.goal = journal, ledger, goal

    def phase(self, record: Redemption) -> Callable[[Redemption], Step]:
        return {
            RedemptionState.STARTED: self._debit if self.goal is Goal.CHARGE else self._ask,
            RedemptionState.DEBITED: self._record,
        }.get(record.state, self._done)

    def _debit(self, r: Redemption) -> Step:
        try:
            self.ledger(r.shop).redeem(r.code, r.amount, r.key)
        except LedgerUnavailable as exc:
            # The debit may have landed before the link broke: the redemption stays started, and the same
            # press (or recovery) asks again with the same key. No other tender until then.
            return Failed(
                f"The shop database cannot be reached, so the gift card cannot be used now ({exc}). Try again, "
                "or take another tender once the till has checked the card.",
                money_may_have_moved=True,
            )
        except GiftCardError as exc:
            self.journal.close_redemption(r.id, RedemptionState.REFUSED, str(exc))
            return Failed(f"{exc} {NOT_TAKEN}")
        crash_point("after_gift_card_debited")
        return Next(self.journal.record_debit(r.id))

    def _ask(self, r: Redemption) -> Step:
        """Recovery: whatever the key did is final now (a key not debited is given up, so never will)."""
        try:
            entry = self.ledger(r.shop).settle_key(r.code, r.key)
        except LedgerUnavailable as exc:
            return Failed(f"A gift card payment could not be checked yet: {exc}", money_may_have_moved=True)
        if entry.kind is EntryKind.CANCELLED:
            self.journal.close_redemption(r.id, RedemptionState.CANCELLED, "given up by recovery: nothing taken")
            return Closed(SaleState.ABANDONED, f"gift card payment of {r.amount} given up: {NOT_TAKEN}")
        return Next(self.journal.record_debit(r.id))

    def _record(self, r: Redemption) -> Step:
        result = self.journal.finish_redemption(r.id)
        crash_point("after_gift_card_recorded")
        return result

    def _done(self, r: Redemption) -> Step:
        if r.state is RedemptionState.RECORDED:
            return self.journal.redemption_result(r.id)
        return Closed(SaleState.ABANDONED, r.note or str(r.state))


@dataclass(frozen=True)
class Checked:
    """A card looked up at the counter: what it holds and what a redemption would take now."""

    code: str
    balance: Money
    takes: Money | None  # None: it can take nothing (empty, or nothing due)
    message: str


class GiftCardPayments:
    """Take a gift card for (part of) a sale, settle redemptions after a crash, give them back on a void."""

    def __init__(self, journal: RedemptionJournal, cards: GiftCards):
        self.journal, self.cards = journal, cards
        # Whether a card may still be owed (unknown until the first run; then: the last run left one
        # waiting for its ledger). Owed rows are written only with a receipt that sells a card, so a
        # receipt that sells none, after a run that left none, has nothing to issue (issue 27).
        self._may_owe = True
        self._valid_until: dict[str, str] = {}  # code -> expiry day of the cards the last run issued

    def _ledger(self, shop: bool) -> GiftCardLedger:
        return self.cards.ledger(shop)

    def check(self, text: str, due: Money | None = None) -> Checked:
        """A card's balance, and what it would pay of `due` (the cashier's words if it cannot be used)."""
        try:
            card = self.cards.balance(text)
        except (BadCode, GiftCardError) as exc:
            raise GiftCardError(str(exc)) from None
        takes = None
        said = f"Gift card {format_code(card.code)} holds {card.balance}."
        if card.purpose is Purpose.STORE_CREDIT:
            said = f"Store credit {format_code(card.code)} holds {card.balance}."
        if card.expired(self.cards.today()):
            said += f" {expired_message(card)}"  # what it held stays on the ledger until it is expired
        elif due is not None:
            try:
                takes = redeemable(card.balance, due)
                said += f" It pays {takes} of the {due} due."
            except ValueError as exc:
                said += f" {exc}"
        return Checked(card.code, card.balance, takes, said)

    def redeem(self, sale_id: int, text: str, asked: Money | None = None) -> Paid | PartPaid | Failed | Closed:
        """Redeem the card for the smaller of its balance and what is due (or `asked`), through the phases.
        The caller holds the sale's lock and has brought the sale to being paid in parts."""
        try:
            found = self.cards.locate(text)
        except (BadCode, GiftCardError) as exc:
            return Failed(f"{exc} {NOT_TAKEN}")
        try:
            open_ = self.journal.open_redemption(sale_id)
            if open_ is not None:
                if open_.code == found.card.code and (asked is None or asked == open_.amount):
                    # The same card pressed again (the ledger was away): the same key, so at most once.
                    return self._settle(open_, Goal.CHARGE)
                earlier = self._settle(open_, Goal.PARK)
                if not isinstance(earlier, Closed):
                    return earlier if not isinstance(earlier, Failed) else Failed(earlier.message)
            if found.card.expired(self.cards.today()):
                return Failed(f"{expired_message(found.card)} {NOT_TAKEN}")
            try:
                amount = redeemable(found.card.balance, self.journal.due(sale_id), asked)
            except ValueError as exc:
                return Failed(f"{exc} {NOT_TAKEN}")
            key = redemption_key(uuid.uuid4().hex)
            kind = tender_kind(found.card.purpose)
            record = self.journal.begin_redemption(sale_id, found.card.code, found.ledger.shop, amount, key, kind)
            crash_point("after_redemption_recorded")
            return self._settle(record, Goal.CHARGE)
        except SaleChanged as exc:
            return Failed(f"{exc} {NOT_TAKEN}")
        except StorageError as exc:
            return Failed(f"{exc} If the card was debited, the till records it when it can.", money_may_have_moved=True)

    def settle_open(self, sale_id: int) -> Paid | PartPaid | Failed | Closed | None:
        """Before the sale is let go (its cart changed): a redemption still open is settled first, as
        recovery would (debited: its tender is recorded; not: its key given up). None: none was open."""
        record = self.journal.open_redemption(sale_id)
        return self._settle(record, Goal.PARK) if record is not None else None

    def _settle(self, record: Redemption, goal: Goal) -> Paid | PartPaid | Failed | Closed:
        result = settle(RedemptionPhases(self.journal, self._ledger, goal), record)
        assert isinstance(result, (Paid, PartPaid, Failed, Closed)), result
        return result

    def recover(self, exclude: Callable[[int], bool] = lambda _sale_id: False) -> list[str]:
        """Every redemption a crash left unfinished: recorded once if the card was debited, else given up."""
        messages = self.activate_sold()
        for record in self.journal.open_redemptions():
            if exclude(record.sale_id):
                continue
            result = self._settle(record, Goal.PARK)
            card = record.code[-4:]
            if isinstance(result, (Paid, PartPaid)):
                messages.append(f"Recovered a gift card payment of {record.amount} (card …{card}).")
            elif isinstance(result, Closed):
                messages.append(
                    f"A gift card payment of {record.amount} (card …{card}) never went through: {NOT_TAKEN}"
                )
            else:
                messages.append(result.message)
        return messages

    def unsettled(self) -> bool:
        return bool(self.journal.open_redemptions())

    # -- selling a card -------------------------------------------------------------------------
    def sell_line(self, amount: Money) -> Product:
        """The cart line that sells a new card holding `amount` (its code chosen now, issued when paid)."""
        try:
            return card_line(amount, new_code())
        except ValueError as exc:
            raise GiftCardError(str(exc)) from None

    def reload_line(self, text: str, amount: Money) -> Product:
        """The cart line that adds `amount` to an existing gift card when the sale is paid."""
        try:
            card = self.cards.usable(text).card
        except BadCode as exc:
            raise GiftCardError(str(exc)) from None
        if card.purpose is not Purpose.GIFT_CARD:
            raise GiftCardError("Store credit is not reloaded; sell a gift card instead.")
        try:
            return card_line(amount, card.code, reload=True)
        except ValueError as exc:
            raise GiftCardError(str(exc)) from None

    def activate_sold(self) -> list[str]:
        """Every card a paid sale sold or reloaded, written to its ledger (keyed by sale and line: once).
        Run after each receipt and by recovery; a card whose ledger is away waits for the next run."""
        self._may_owe = True  # until this run has issued every one (it may stop on a StorageError)
        messages = []
        self._valid_until = {}
        for owed in self.journal.owed_cards():
            key = card_sale_key(owed.sale_key, owed.line_no)
            try:
                if owed.reload:
                    card = self.cards.reload(owed.code, owed.amount, key)
                else:
                    card = self.cards.activate(owed.code, owed.amount, key)
            except GiftCardError as exc:
                messages.append(
                    f"Gift card {format_code(owed.code)} is not active yet: {str(exc).rstrip('.')}. The till "
                    "activates it by itself at a later sale or start; it cannot be spent until then."
                )
                continue
            self.journal.card_issued(owed.id, card.shop, card.expires_on)
            if card.expires_on:
                self._valid_until[owed.code] = card.expires_on
        self._may_owe = bool(messages)
        return messages

    def with_expiry(self, receipt: Receipt) -> Receipt:
        """The receipt with the expiry day of each card it sold that the last run of `activate_sold`
        issued (stamped then, after the payment; the receipt was built before). A reprint reads the
        same days from the journal, where `card_issued` kept them."""
        days = tuple(
            (code, self._valid_until[code])
            for line in receipt.lines
            if (sold := sold_card(line.sku)) is not None and (code := sold[0]) in self._valid_until
        )
        return replace(receipt, cards_valid_until=days) if days else receipt

    def activate_after(self, receipt: Receipt) -> list[str]:
        """After a sale's receipt: `activate_sold`, unless the receipt sold no card and none waits from
        before (then there is nothing owed, and no read is spent on finding that out)."""
        if not self._may_owe and not any(sold_card(line.sku) for line in receipt.lines):
            return []
        return self.activate_sold()

    def check_refundable(self, tender_id: int, amount: Money | None = None) -> None:
        """That a receipt's gift card (or store credit) part can go back onto its code from this till;
        GiftCardError in the cashier's words if not. Before anything is claimed or journaled. A card
        past its expiry day would take the money and keep it: the part goes as store credit instead.
        `amount`: what would go back; refused when the part's refunds onto the card at any till
        already leave less of what it paid (the ledger holds to it again when it credits)."""
        code, shop = self._paid_by(tender_id)
        ledger = self._ledger(shop)
        try:
            card = ledger.find(code)
            part = self.journal.paid_part(tender_id) if amount is not None else None
            given = ledger.given_back(code, part.refund_note) if part is not None else 0
        except LedgerUnavailable:
            return  # the piece waits for the shop (the till finishes it), as any piece for a shop card
        if card is not None and card.expired(self.cards.today()):
            raise GiftCardError(f"{expired_message(card)} Give this part back as store credit instead.")
        if part is not None and amount is not None and given + amount.minor > part.amount.minor:
            raise GivenBackAlready(Money(given, part.amount.currency), part.amount)

    def _paid_by(self, tender_id: int) -> tuple[str, bool]:
        """The code that paid a part, and whether the shop holds it. This till's own redemption names
        it; a copy of another till's receipt (the shop's) has only the code's last four, so the shop's
        ledger is asked for the card that till redeemed that amount from: one card, or it is refused
        (two cards ending alike, each redeemed for that amount there, are told apart only at that till)."""
        record = self.journal.redemption_for_tender(tender_id)
        if record is not None:
            return record.code, record.shop
        part = self.journal.paid_part(tender_id)
        if part is None or part.kind not in (TenderKind.GIFT_CARD, TenderKind.STORE_CREDIT):
            raise GiftCardError("No gift card payment is on record for this part of the receipt.")
        what = "store credit" if part.kind is TenderKind.STORE_CREDIT else "gift card"
        elsewhere = f"Refund it at till {part.till_id}, where it was taken, or give it as store credit."
        if not self.cards.joined:
            raise GiftCardError(
                f"Part of this receipt was paid by {what}, which goes back onto its code only at till "
                f"{part.till_id}, where it was taken. Refund it there, or give it as store credit."
            )
        try:
            codes = self.cards.redeemed_at(part.till_id, part.last4, part.amount, purpose_of(part.kind))
        except LedgerUnavailable as exc:
            raise GiftCardError(
                f"Part of this receipt was paid by {what}, which goes back onto its code through the shop "
                f"database, and this till cannot reach it now ({exc}). {elsewhere}"
            ) from None
        if len(codes) != 1:
            raise GiftCardError(
                f"Part of this receipt was paid by {what}, and the shop's ledger "
                f"{'has no such payment' if not codes else 'cannot tell which card paid it'}. {elsewhere}"
            )
        return codes[0], True

    def refund_to_card(self, tender_id: int, amount: Money, key: str) -> None:
        """A refund piece of a receipt paid by gift card, back onto the card that paid it (once per key:
        one transaction of the ledger that holds the card, the shop's for another till's receipt). The
        part's refunds onto the card, from every till, never add up past what it paid (GivenBackAlready):
        the shop's claim guards only the receipt's total, so two tills could each give the part back."""
        code, shop = self._paid_by(tender_id)
        part = self.journal.paid_part(tender_id)
        if part is None:
            raise GiftCardError("No gift card payment is on record for this part of the receipt.")
        ledger = self._ledger(shop)
        ledger.credit(code, EntryKind.REFUND_TO_CARD, amount, key, part.refund_note, cap=part.amount.minor)

    def give_back(self, sale_id: int, reason: str) -> list[Money]:
        """A voided sale's gift card parts back onto their cards, once each (the entry's key is the
        redemption's). LedgerUnavailable if a shop card's ledger cannot be reached: the sale stays open."""
        given = []
        for record in self.journal.recorded_redemptions(sale_id):
            self._ledger(record.shop).credit(
                record.code, EntryKind.REFUND_TO_CARD, record.amount, f"{record.key}-void", f"void: {reason}"
            )
            self.journal.given_back(record.id, f"back on the card: {reason}")
            given.append(record.amount)
        return given

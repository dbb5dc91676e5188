"""Gift card ledgers (services.giftcards.GiftCardLedger) in SQLAlchemy Core: `SqlLedger` holds the
rules on any pair of card and entry tables; `TillGiftCards` is this till's own (its SQLite, each
entry with its audit event in the same transaction) and `adapters/shop/giftcards.ShopGiftCards`
the shop's (PostgreSQL, the card's row locked for each write).

Every write is one transaction that first takes the card (locked where the database can lock a
row; SQLite's BEGIN IMMEDIATE already lets one writer in), then looks for the entry's key: a key
already written answers what it wrote, so a step repeated (a double press, recovery after a crash)
moves the balance once.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import Table, case, func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from pos.domain.giftcards import Card, Entry, EntryKind, Purpose, read_expiry, unreadable_expiry_message
from pos.domain.money import Money
from pos.domain.tender import TenderKind
from pos.services.giftcards import GivenBackAlready, KeyGivenUp, NotEnough, UnknownCard
from pos.services.outcomes import Paid, PartPaid
from pos.services.sales import JournalIntegrityError, SaleChanged
from pos.services.states import UNFINISHED, SaleState, TenderState
from pos.services.tenders.gift_card import OwedCard, PaidPart, Redemption, RedemptionState

from . import audit
from .errors import storage_errors
from .raw import now_iso
from .journal import SqlJournal
from . import schema as tables
from .core import writer

log = logging.getLogger(__name__)

# Each table by its one Core name (schema.py).
REDEMPTIONS, SOLD, SALES, TENDERS = tables.gift_card_redemptions, tables.gift_card_sales, tables.sales, tables.tenders

GIVEN_UP = "This gift card payment was given up; nothing was taken from the card."


class SqlLedger:
    """The ledger's rules on `cards` and `entries` tables; subclasses say how a transaction is begun,
    what else an entry writes, and what else a row carries."""

    shop = False
    unknown = "No gift card with this code was sold at this till."

    def __init__(self, cards: Table, entries: Table):
        self.CARDS, self.ENTRIES = cards, entries
        e = entries.c
        # How each kind moves the balance (the domain's rule, as SQL for the sum).
        self._signed = case(
            (e.kind.in_([EntryKind.REDEEM.value, EntryKind.EXPIRE.value]), -e.amount_minor),
            (e.kind == EntryKind.CANCELLED.value, 0),
            else_=e.amount_minor,
        )

    # -- what subclasses decide ---------------------------------------------------------------
    def _begin(self) -> contextlib.AbstractContextManager[Connection]:
        raise NotImplementedError

    def _extra(self) -> dict[str, Any]:
        """Columns a card and an entry carry beyond the ledger's own (the shop: the till's id)."""
        return {}

    def _written(self, conn: Connection, entry_id: int, code: str, kind: EntryKind) -> None:
        """In the entry's transaction, after it is written."""

    # -- reads ---------------------------------------------------------------------------------
    def _balance(self, conn: Connection, card_id: int) -> int:
        query = select(func.coalesce(func.sum(self._signed), 0)).where(self.ENTRIES.c.card_id == card_id)
        return int(conn.execute(query).scalar_one())

    def _as_card(self, conn: Connection, row: Any) -> Card:
        money = Money(self._balance(conn, row.id), row.currency)
        card = Card(row.code, Purpose(row.purpose), money, row.issued_at, self.shop, row.expires_on or "")
        if card.expiry_unreadable():  # taken as no expiry (Card.expiry): said wherever the card is read
            log.warning("gift card …%s: %s", card.code[-4:], unreadable_expiry_message(card))
        return card

    def _lock(self, conn: Connection, code: str) -> Any:
        query = select(self.CARDS).where(self.CARDS.c.code == code)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()  # held until commit: one write on a card at a time
        return conn.execute(query).first()

    def _known(self, conn: Connection, key: str) -> Any:
        C, E = self.CARDS, self.ENTRIES
        return conn.execute(
            select(E, C.c.currency, C.c.code).join(C, C.c.id == E.c.card_id).where(E.c.entry_key == key)
        ).first()

    def find(self, code: str) -> Card | None:
        with self._begin() as conn:
            row = conn.execute(select(self.CARDS).where(self.CARDS.c.code == code)).first()
            return self._as_card(conn, row) if row is not None else None

    def entries(self, code: str) -> list[Entry]:
        C, E = self.CARDS, self.ENTRIES
        with self._begin() as conn:
            query = select(E, C.c.currency).join(C, C.c.id == E.c.card_id).where(C.c.code == code).order_by(E.c.id)
            return [_entry(r) for r in conn.execute(query).all()]

    def cards(self) -> list[Card]:
        with self._begin() as conn:
            rows = conn.execute(select(self.CARDS).order_by(self.CARDS.c.id)).all()
            return [self._as_card(conn, r) for r in rows]

    # -- writes --------------------------------------------------------------------------------
    def _write(self, conn: Connection, card: Any, kind: EntryKind, amount: Money, key: str, note: str) -> Entry:
        stamp = now_iso()
        values = dict(card_id=card.id, kind=kind.value, amount_minor=amount.minor, entry_key=key, at=stamp, note=note)
        entry_id = conn.execute(
            self.ENTRIES.insert().values(**values, **self._extra()).returning(self.ENTRIES.c.id)
        ).scalar_one()
        self._written(conn, entry_id, card.code, kind)
        return Entry(kind, amount, key, stamp, note)

    def _card_or_refuse(self, conn: Connection, code: str) -> Any:
        row = self._lock(conn, code)
        if row is None:
            raise UnknownCard(self.unknown)
        return row

    def issue(self, code: str, purpose: Purpose, amount: Money, key: str, expires_on: str = "") -> Card:
        try:
            with self._begin() as conn:
                known = self._known(conn, key)
                if known is None:
                    values = dict(
                        code=code,
                        purpose=purpose.value,
                        currency=amount.currency,
                        issued_at=now_iso(),
                        expires_on=expires_on or None,
                    )
                    conn.execute(self.CARDS.insert().values(**values, **self._extra()))
                    self._write(conn, self._lock(conn, code), EntryKind.ISSUE, amount, key, "")
                else:
                    code = known.code
                return self._as_card(conn, self._lock(conn, code))
        except IntegrityError:
            # Another till wrote this key at the same moment: what it wrote is the answer.
            with self._begin() as conn:
                known = self._known(conn, key)
                if known is None:
                    raise
                return self._as_card(conn, self._lock(conn, known.code))

    def credit(
        self, code: str, kind: EntryKind, amount: Money, key: str, note: str = "", cap: int | None = None
    ) -> Card:
        """An entry that adds to the card (once per key). `cap`: the entries of this kind and `note` on
        the card (one receipt's part given back, from any till) never add up past it; read under the
        card's lock, so two tills giving the same part back at once take turns (GivenBackAlready)."""
        with self._begin() as conn:
            row = self._card_or_refuse(conn, code)
            if self._known(conn, key) is None:
                if cap is not None:
                    given = self._given(conn, row.id, kind, note)
                    if given + amount.minor > cap:
                        raise GivenBackAlready(Money(given, row.currency), Money(cap, row.currency))
                self._write(conn, row, kind, amount, key, note)
            return self._as_card(conn, row)

    def given_back(self, code: str, note: str) -> int:
        """What refund_to_card entries with this note (one receipt's part) put back onto the card."""
        with self._begin() as conn:
            row = conn.execute(select(self.CARDS.c.id).where(self.CARDS.c.code == code)).first()
            return 0 if row is None else self._given(conn, row.id, EntryKind.REFUND_TO_CARD, note)

    def _given(self, conn: Connection, card_id: int, kind: EntryKind, note: str) -> int:
        E = self.ENTRIES
        return int(
            conn.execute(
                select(func.coalesce(func.sum(E.c.amount_minor), 0)).where(
                    E.c.card_id == card_id, E.c.kind == kind.value, E.c.note == note
                )
            ).scalar_one()
        )

    def redeem(self, code: str, amount: Money, key: str) -> Entry:
        with self._begin() as conn:
            row = self._card_or_refuse(conn, code)  # locked first: the key and the balance read after
            known = self._known(conn, key)
            if known is not None:
                if known.kind == EntryKind.CANCELLED:
                    raise KeyGivenUp(GIVEN_UP)
                return _entry(known)
            left = self._balance(conn, row.id)
            if amount.minor > left:
                raise NotEnough(f"The card holds only {Money(left, row.currency)}.")
            return self._write(conn, row, EntryKind.REDEEM, amount, key, "")

    def expire_due(self, today: str) -> list[tuple[Card, Entry]]:
        """Every card whose expiry day has come (`today`, the store's, ISO) and that still holds money:
        an `expire` entry takes what is left, each card in its own transaction with its row locked and
        its balance read under the lock, so a second run (or another till's at once) writes nothing more.
        The key names the entries it follows: money given back onto the card later expires once too."""
        C, E = self.CARDS, self.ENTRIES
        with self._begin() as conn:
            query = select(C.c.code, C.c.expires_on).where(C.c.expires_on.is_not(None)).order_by(C.c.id)
            kept = conn.execute(query).all()
        # Judged as calendar days, not as strings in SQL ("01/01/2030" sorts before "2026-…"): a day
        # that cannot be read is no expiry (Card.expiry), said when the card is read.
        due = date.fromisoformat(today)
        codes = [code for code, day in kept if (expiry := read_expiry(day)) is not None and expiry <= due]
        expired = []
        for code in codes:
            with self._begin() as conn:
                row = self._card_or_refuse(conn, code)
                left = self._balance(conn, row.id)
                if left <= 0:
                    continue
                count = conn.execute(select(func.count()).where(E.c.card_id == row.id)).scalar_one()
                key = f"pos-expire-{row.id}-{count}"
                entry = self._write(conn, row, EntryKind.EXPIRE, Money(left, row.currency), key, "expired")
                expired.append((self._as_card(conn, row), entry))
        return expired

    def settle_key(self, code: str, key: str) -> Entry:
        """Recovery's question: did this key debit? If not, it is written as given up, so it never will."""
        with self._begin() as conn:
            row = self._card_or_refuse(conn, code)
            known = self._known(conn, key)
            if known is not None:
                return _entry(known)
            return self._write(conn, row, EntryKind.CANCELLED, Money(0, row.currency), key, "given up")


def _entry(row: Any) -> Entry:
    return Entry(EntryKind(row.kind), Money(row.amount_minor, row.currency), row.entry_key, row.at, row.note)


class TillGiftCards(SqlLedger):
    """This till's own cards (a till with no shop database, or cards sold before it joined one)."""

    def __init__(self, engine: Engine):
        super().__init__(tables.gift_cards, tables.gift_card_entries)
        self._writer = writer(engine)

    @contextlib.contextmanager
    def _begin(self) -> Iterator[Connection]:
        with storage_errors(), self._writer.begin() as conn:
            yield conn

    def _written(self, conn: Connection, entry_id: int, code: str, kind: EntryKind) -> None:
        # The entry's audit event commits with it (audit.py covers every gift card entry).
        subject = f"gift card {code[-4:]} {kind.value}"
        audit.append(conn, audit.till_of(conn), "gift_card", subject, audit.covering(conn, "gift_card_entry", entry_id))


class SqlRedemptions:
    """The gift card parts of sales (services/tenders/gift_card.RedemptionJournal) on the till's SQLite.
    The step that records a part writes its tender (SqlJournal.add_part) and moves the redemption to
    `recorded` in one transaction, so a redemption is recorded once however often it is settled."""

    def __init__(self, engine: Engine, journal: SqlJournal):
        self._engine, self._writer, self._journal = engine, writer(engine), journal

    def _row(self, conn: Connection, redemption_id: int) -> Redemption:
        return _redemption(conn.execute(select(REDEMPTIONS).where(REDEMPTIONS.c.id == redemption_id)).one())

    def _move(self, redemption_id: int, state: RedemptionState, frm: tuple[RedemptionState, ...], note: str = ""):
        with storage_errors(), self._writer.begin() as conn:
            values: dict[str, Any] = {"state": state.value, "updated_at": now_iso()}
            if note:
                values["note"] = note
            conn.execute(
                REDEMPTIONS.update()
                .where(REDEMPTIONS.c.id == redemption_id, REDEMPTIONS.c.state.in_([f.value for f in frm]))
                .values(**values)
            )
            return self._row(conn, redemption_id)

    def begin_redemption(
        self, sale_id: int, code: str, shop: bool, amount: Money, key: str, kind: TenderKind = TenderKind.GIFT_CARD
    ) -> Redemption:
        stamp = now_iso()
        with storage_errors(), self._writer.begin() as conn:
            order = conn.execute(select(SALES).where(SALES.c.id == sale_id)).one()
            if order.state != SaleState.SPLIT or order.order_id is not None:
                raise SaleChanged(f"This sale cannot take a gift card now ({order.state}).")
            if _open_card_part(conn, sale_id) or _open_redemption(conn, sale_id) is not None:
                raise SaleChanged("Another payment for this sale is still open; settle it first.")
            due = self._journal.due(sale_id)
            if not 0 < amount.minor <= due.minor:
                raise SaleChanged(f"A gift card part must be more than nothing and at most what is due ({due}).")
            new_id = conn.execute(
                REDEMPTIONS.insert()
                .values(
                    sale_id=sale_id,
                    redemption_key=key,
                    code=code,
                    kind=kind.value,
                    shop=shop,
                    currency=amount.currency,
                    amount_minor=amount.minor,
                    state=RedemptionState.STARTED.value,
                    note="",
                    created_at=stamp,
                    updated_at=stamp,
                )
                .returning(REDEMPTIONS.c.id)
            ).scalar_one()
            return self._row(conn, new_id)

    def record_debit(self, redemption_id: int) -> Redemption:
        return self._move(redemption_id, RedemptionState.DEBITED, (RedemptionState.STARTED,))

    def close_redemption(self, redemption_id: int, state: RedemptionState, note: str) -> Redemption:
        return self._move(redemption_id, state, (RedemptionState.STARTED,), note)

    def finish_redemption(self, redemption_id: int) -> Paid | PartPaid:
        with storage_errors(), self._writer.begin() as conn:
            record = self._row(conn, redemption_id)
            if record.state is not RedemptionState.DEBITED:
                return self._result(conn, record)
            tender_id, result = self._journal.add_part(
                conn, record.sale_id, record.kind, record.amount, record.code[-4:]
            )
            conn.execute(
                REDEMPTIONS.update()
                .where(REDEMPTIONS.c.id == redemption_id)
                .values(state=RedemptionState.RECORDED.value, tender_id=tender_id, updated_at=now_iso())
            )
            return result

    def redemption_result(self, redemption_id: int) -> Paid | PartPaid:
        with storage_errors(), self._engine.connect() as conn:
            return self._result(conn, self._row(conn, redemption_id))

    def _result(self, conn: Connection, record: Redemption) -> Paid | PartPaid:
        tender_id = conn.execute(select(REDEMPTIONS.c.tender_id).where(REDEMPTIONS.c.id == record.id)).scalar_one()
        if tender_id is None:
            raise JournalIntegrityError(f"gift card redemption {record.id} is {record.state} but has no tender")
        receipt = self._journal.receipt_for_sale(record.sale_id)
        if receipt is not None:
            return Paid(receipt)
        tender = next((t for t in self._journal.tenders(record.sale_id) if t.kind is record.kind), None)
        if tender is None:
            raise JournalIntegrityError(f"gift card redemption {record.id} has no paid tender")
        return PartPaid(tender, self._journal.due(record.sale_id))

    def given_back(self, redemption_id: int, note: str) -> None:
        stamp = now_iso()
        with storage_errors(), self._writer.begin() as conn:
            record = conn.execute(select(REDEMPTIONS).where(REDEMPTIONS.c.id == redemption_id)).one()
            conn.execute(
                REDEMPTIONS.update()
                .where(REDEMPTIONS.c.id == redemption_id)
                .values(state=RedemptionState.GIVEN_BACK.value, note=note, updated_at=stamp)
            )
            conn.execute(
                TENDERS.update()
                .where(TENDERS.c.id == record.tender_id)
                .values(state=TenderState.RETURNED.value, note=note, updated_at=stamp)
            )

    def open_redemption(self, sale_id: int) -> Redemption | None:
        with storage_errors(), self._engine.connect() as conn:
            return _open_redemption(conn, sale_id)

    def open_redemptions(self) -> list[Redemption]:
        with storage_errors(), self._engine.connect() as conn:
            rows = conn.execute(
                select(REDEMPTIONS).where(REDEMPTIONS.c.state.in_(_UNFINISHED)).order_by(REDEMPTIONS.c.id)
            ).all()
            return [_redemption(r) for r in rows]

    def recorded_redemptions(self, sale_id: int) -> list[Redemption]:
        with storage_errors(), self._engine.connect() as conn:
            rows = conn.execute(
                select(REDEMPTIONS)
                .where(REDEMPTIONS.c.sale_id == sale_id, REDEMPTIONS.c.state == RedemptionState.RECORDED.value)
                .order_by(REDEMPTIONS.c.id)
            ).all()
            return [_redemption(r) for r in rows]

    def due(self, sale_id: int) -> Money:
        return self._journal.due(sale_id)

    def paid_part(self, tender_id: int) -> PaidPart | None:
        with storage_errors(), self._engine.connect() as conn:
            row = conn.execute(
                select(TENDERS.c.kind, TENDERS.c.amount_minor, TENDERS.c.currency, TENDERS.c.card_last4)
                .add_columns(SALES.c.till_id, TENDERS.c.part_no, tables.receipts.c.receipt_no)
                .join(SALES, SALES.c.id == TENDERS.c.sale_id)
                .outerjoin(tables.receipts, tables.receipts.c.sale_id == TENDERS.c.sale_id)
                .where(TENDERS.c.id == tender_id)
            ).first()
            if row is None:
                return None
            amount = Money(row.amount_minor, row.currency)
            return PaidPart(
                row.till_id, TenderKind(row.kind), amount, row.card_last4 or "", row.receipt_no or 0, row.part_no or 0
            )

    def redemption_for_tender(self, tender_id: int) -> Redemption | None:
        with storage_errors(), self._engine.connect() as conn:
            row = conn.execute(select(REDEMPTIONS).where(REDEMPTIONS.c.tender_id == tender_id)).first()
            return _redemption(row) if row is not None else None

    def owed_cards(self) -> list[OwedCard]:
        with storage_errors(), self._engine.connect() as conn:
            rows = conn.execute(
                select(SOLD, SALES.c.sale_key)
                .join(SALES, SALES.c.id == SOLD.c.sale_id)
                .where(SOLD.c.state == "owed")
                .order_by(SOLD.c.id)
            ).all()
            return [
                OwedCard(r.id, r.sale_key, r.line_no, r.code, bool(r.reload), Money(r.amount_minor, r.currency))
                for r in rows
            ]

    def card_issued(self, owed_id: int, shop: bool, expires_on: str = "") -> None:
        with storage_errors(), self._writer.begin() as conn:
            issued = SOLD.update().where(SOLD.c.id == owed_id)
            values = {"state": "issued", "shop": shop, "expires_on": expires_on or None}
            conn.execute(issued.values(**values, updated_at=now_iso()))


_UNFINISHED = [s.value for s in RedemptionState if s.unfinished]


def _redemption(row: Any) -> Redemption:
    return Redemption(
        row.id,
        row.sale_id,
        row.redemption_key,
        row.code,
        bool(row.shop),
        Money(row.amount_minor, row.currency),
        RedemptionState(row.state),
        row.note,
        TenderKind(row.kind),
    )


def _open_redemption(conn: Connection, sale_id: int) -> Redemption | None:
    row = conn.execute(
        select(REDEMPTIONS)
        .where(REDEMPTIONS.c.sale_id == sale_id, REDEMPTIONS.c.state.in_(_UNFINISHED))
        .order_by(REDEMPTIONS.c.id.desc())
    ).first()
    return _redemption(row) if row is not None else None


def _open_card_part(conn: Connection, sale_id: int) -> bool:
    query = select(SALES.c.id).where(SALES.c.order_id == sale_id, SALES.c.state.in_([str(s) for s in UNFINISHED]))
    return conn.execute(query).first() is not None

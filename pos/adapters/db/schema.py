"""Tables (SQLModel) and the engine with the pragmas a till needs.

One SQLite file: WAL so searches read while a sale is written, synchronous=FULL
so a committed sale survives a power cut, foreign keys on. Write transactions
start with BEGIN IMMEDIATE so two writers never deadlock on a lock upgrade.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import uuid
import weakref
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Index, Table, UniqueConstraint, delete, event, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool
from sqlmodel import Field, SQLModel, create_engine

from . import sessions
from .errors import StorageUnavailable, describe, storage_errors


class ProductRow(SQLModel, table=True):
    __tablename__ = "products"
    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(unique=True)
    barcode: str | None = Field(default=None, unique=True)
    name: str
    category: str = Field(index=True)
    price_minor: int
    currency: str
    tax_rate_bp: int
    active: bool = Field(default=True)
    colour: str | None = None  # the tile's colour, #rrggbb (domain/colours.py)
    favourite: int | None = None  # its place on the sale screen's Favourites page, 1 first


class SettingRow(SQLModel, table=True):
    __tablename__ = "settings"
    key: str = Field(primary_key=True)
    value: str


# The sale_key of a sale copied from the shop database (another till's receipt, to refund it here:
# adapters/shop/copies.py); such a receipt's refunds are numbered at this till.
COPIED_SALE_PREFIX = "copy:"


class SaleRow(SQLModel, table=True):
    """One sale in the payment journal. `sale_key` never changes; idempotency keys derive from it."""

    __tablename__ = "sales"
    id: int | None = Field(default=None, primary_key=True)
    sale_key: str = Field(unique=True)
    till_id: str
    state: str = Field(index=True)
    currency: str
    total_minor: int
    tax_minor: int
    subtotal_minor: int
    tax_inclusive: bool
    create_params: str  # the CreateIntent request as JSON (older layouts: the Stripe parameters sent)
    payment_intent: str | None = Field(default=None, index=True)
    note: str | None = None  # what recovery or a failure said, for the cashier
    cart_discount_minor: int = 0  # the whole cart's discount (shared over the lines' amounts)
    cart_discount_reason: str | None = None
    # A card part of a sale paid in several tenders: the sale it pays towards. Such a row has no
    # lines; its total is the part's amount, and it runs the same phases as a whole-card sale.
    order_id: int | None = Field(default=None, index=True)
    created_at: str
    updated_at: str


class SaleLineRow(SQLModel, table=True):
    __tablename__ = "sale_lines"
    __table_args__ = (UniqueConstraint("sale_id", "line_no"),)
    id: int | None = Field(default=None, primary_key=True)
    sale_id: int = Field(foreign_key="sales.id")
    line_no: int
    product_id: int | None = None
    sku: str
    name: str
    quantity: int
    unit_price_minor: int
    tax_rate_bp: int
    net_minor: int
    tax_minor: int
    gross_minor: int
    # Off the price amount before tax: the line's own discount and its share of the cart's.
    line_discount_minor: int = 0
    cart_share_minor: int = 0
    discount_reason: str | None = None
    # A weighed line: its quantity in thousandths of `unit` (quantity is 1 label; unit_price_minor the
    # line's price, the weight times the price per unit, rounded once). NULL: counted in units.
    measure_milli: int | None = None
    unit: str | None = None
    measure_price_minor: int | None = None  # the shelf price per unit then (receipts print "@ 3.50/kg")


class CardAttemptRow(SQLModel, table=True):
    """One confirm attempt of a sale's PaymentIntent, recorded before it is sent."""

    __tablename__ = "card_attempts"
    __table_args__ = (UniqueConstraint("sale_id", "attempt_no"),)
    id: int | None = Field(default=None, primary_key=True)
    sale_id: int = Field(foreign_key="sales.id", index=True)
    attempt_no: int
    payment_method: str
    idempotency_key: str = Field(unique=True)
    params: str  # the exact JSON sent with the confirm
    state: str  # sent, succeeded, declined, requires_action, failed
    decline_code: str | None = None
    message: str | None = None
    charge_id: str | None = None
    card_brand: str | None = None
    card_last4: str | None = None
    created_at: str
    updated_at: str


class ReceiptRow(SQLModel, table=True):
    __tablename__ = "receipts"
    __table_args__ = (
        UniqueConstraint("till_id", "receipt_no"),
        Index("ix_receipts_created_at", "created_at"),
        Index("ix_receipts_total_minor", "total_minor"),
        Index("ix_receipts_receipt_no", "receipt_no"),
        Index("ix_receipts_till_created", "till_id", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    till_id: str
    receipt_no: int
    sale_id: int = Field(foreign_key="sales.id", unique=True)
    created_at: str
    currency: str
    total_minor: int
    tax_minor: int
    payment_intent: str | None = Field(default=None, unique=True)  # a whole-card sale's; else None
    card_brand: str | None = None
    card_last4: str | None = Field(default=None, index=True)
    status: str = "paid"
    refunded_minor: int = 0
    discount_minor: int = 0  # everything taken off the sale (lines' and cart's discounts)
    # How it was paid (the tenders table lists each part): card_minor + cash_minor = total + rounding.
    card_minor: int = 0
    cash_minor: int = 0  # kept in the drawer: cash handed over less change
    change_minor: int = 0
    rounding_minor: int = 0  # cash rounding: cash due less the total still due (negative: paid less)
    # What the printed receipt said, so a reprint says the same whatever the settings are now
    # (NULL on receipts from before layout 3: those reprint with the current settings).
    store_name: str | None = None
    store_address: str | None = None
    receipt_footer: str | None = None
    cashier: str = Field(default="", sa_column_kwargs={"server_default": ""})  # who sold it ("": no cashiers)


class TenderRow(SQLModel, table=True):
    """One part of a sale's payment, written when it is paid: cash taken, or a card payment that succeeded."""

    __tablename__ = "tenders"
    __table_args__ = (UniqueConstraint("sale_id", "part_no"),)
    id: int | None = Field(default=None, primary_key=True)
    sale_id: int = Field(foreign_key="sales.id", index=True)  # the sale it pays
    part_no: int
    kind: str  # cash, card (domain/tender.TenderKind)
    state: str  # paid, returned (services/states.TenderState)
    currency: str
    amount_minor: int  # what it paid of the sale
    tendered_minor: int  # cash handed over; what a card was charged (its amount plus a tip given on the reader)
    change_minor: int = 0
    rounding_minor: int = 0
    part_sale_id: int | None = Field(default=None, foreign_key="sales.id")  # the card payment's journal row
    payment_intent: str | None = Field(default=None, unique=True)
    card_brand: str | None = None
    card_last4: str | None = None
    # A card read by a reader: the EMV fields its receipt prints (domain CardPresentReceipt as JSON).
    card_present: str | None = None
    note: str | None = None  # how a returned part went back (refund id, cash handed back)
    created_at: str
    updated_at: str


class RefundRow(SQLModel, table=True):
    """One refund in the refund journal: recorded before Stripe is asked, numbered when it succeeds."""

    __tablename__ = "refunds"
    __table_args__ = (
        UniqueConstraint("till_id", "refund_no"),
        Index("ix_refunds_till_updated", "till_id", "updated_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    refund_key: str = Field(unique=True)
    receipt_id: int = Field(foreign_key="receipts.id", index=True)
    till_id: str
    state: str = Field(index=True)  # sent, succeeded, failed
    amount_minor: int
    tax_minor: int = 0  # the tax given back inside amount_minor (domain/refunds.py shares it)
    currency: str
    reason: str | None = None
    tender_id: int | None = Field(default=None, foreign_key="tenders.id")  # the part it gives back to
    tender_kind: str = "card"  # how it was given back: card (through Stripe) or cash (from the drawer)
    cash_for_card: bool = False  # cash handed back for a card part, as the cashier confirmed
    # Cash: what was handed back less amount_minor, by the store's cash rounding (domain/refunds.cash_back).
    rounding_minor: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    params: str  # the CreateRefund request as JSON (older layouts: the Stripe parameters sent)
    stripe_refund: str | None = None
    refund_no: int | None = None  # gapless per till, given when the refund succeeds
    message: str | None = None
    created_at: str
    updated_at: str
    cashier: str = Field(default="", sa_column_kwargs={"server_default": ""})  # who gave it back
    # Given as store credit (tender_kind store_credit): the code it went onto (the gift-card ledger's,
    # purpose store_credit), printed on the slip (revision 0004).
    store_credit_code: str | None = None


class RefundLineRow(SQLModel, table=True):
    __tablename__ = "refund_lines"
    id: int | None = Field(default=None, primary_key=True)
    refund_id: int = Field(foreign_key="refunds.id", index=True)
    line_no: int
    quantity: int
    amount_minor: int
    # Back on the shelf (the refund puts it into stock), or written off (domain/stock.MovementKind).
    to_stock: bool = Field(default=True, sa_column_kwargs={"server_default": "1"})


class UnverifiedReturnRow(SQLModel, table=True):
    """Goods taken back without a receipt (a manager approved it): given back in cash or as store
    credit only, and marked unverified in reports and the audit trail. Numbered in the till's refund
    sequence (a refund of goods, with no receipt to hang on): refund numbers stay gapless across this
    table and `refunds`, and a Z's last_refund_no closes both."""

    __tablename__ = "unverified_returns"
    id: int | None = Field(default=None, primary_key=True)
    return_key: str = Field(unique=True)  # the store-credit issue key, and what recovery settles by
    till_id: str = Field(index=True)
    state: str = Field(index=True)  # sent, succeeded (services/states.RefundState)
    tender_kind: str  # cash or store_credit: how it was given back (never to a card: no payment to refund)
    amount_minor: int
    rounding_minor: int = 0  # kept 0: a cash return is asked in whole cash steps (services/returns.py)
    tax_minor: int = 0  # unknown without a receipt: none is taken off the tax owed
    currency: str
    note: str  # what was brought back, as the cashier typed it
    approved_by: str = ""  # the manager who approved it ("" when the shop has no cashiers)
    cashier: str = ""
    refund_no: int | None = None  # in the till's refund numbering, given when it is done
    store_credit_code: str | None = None  # given as store credit: the code it went onto
    created_at: str
    updated_at: str


class ExchangeRow(SQLModel, table=True):
    """An exchange at the counter (services/exchanges.py), written before its returned lines are
    refunded: its key is the refund's store-credit piece's, so after a crash recovery finds the code
    the credit went onto and says whether it paid the new sale or stays on the code (revision 0008)."""

    __tablename__ = "exchanges"
    id: int | None = Field(default=None, primary_key=True)
    exchange_key: str = Field(unique=True)  # the store-credit piece's refund_key
    receipt_id: int = Field(foreign_key="receipts.id")  # the receipt whose lines came back
    currency: str
    credit_minor: int  # what the returned lines give as store credit
    state: str = Field(index=True)  # started, applied, kept, dropped (services/exchanges.ExchangeState)
    sale_id: int | None = None  # the new sale the credit paid towards
    note: str = ""
    created_at: str
    updated_at: str


class TillSessionRow(SQLModel, table=True):
    """A process that has the file open for writing (sessions.py): deleted by its clean close, so one
    left behind by a process that is gone means the next open reads the whole file (revision 0011)."""

    __tablename__ = "till_sessions"
    id: str = Field(primary_key=True)
    process: str  # host|boot|pid|start time (sessions.this_process)
    opened_at: str


class ZReportRow(SQLModel, table=True):
    """A closed business day: its number, the period it covers, and its figures as printed."""

    __tablename__ = "z_reports"
    __table_args__ = (UniqueConstraint("till_id", "z_no"),)
    id: int | None = Field(default=None, primary_key=True)
    till_id: str
    z_no: int
    period_start: str
    period_end: str
    figures: str
    # What the Z closed, by sequence: every receipt and refund numbered up to these (clock-proof).
    last_receipt_no: int = 0
    last_refund_no: int = 0
    last_movement_id: int = 0  # and every drawer movement (float, paid in, paid out) up to this id
    counted_cash_minor: int | None = None  # what the cashier counted in the drawer, if counted
    cashier: str = Field(default="", sa_column_kwargs={"server_default": ""})  # who closed the day
    # The audit trail's last hash when the day was closed (printed on the Z).
    audit_head: str = Field(default="", sa_column_kwargs={"server_default": ""})
    last_void_id: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # every void up to this id


class DrawerMovementRow(SQLModel, table=True):
    """Cash put in or taken out of the drawer other than by a sale: the opening float, paid in, paid out."""

    __tablename__ = "drawer_movements"
    id: int | None = Field(default=None, primary_key=True)
    till_id: str = Field(index=True)
    kind: str  # float, paid_in, paid_out (services/drawer.MovementKind)
    amount_minor: int
    currency: str
    reason: str
    at: str
    cashier: str = Field(default="", sa_column_kwargs={"server_default": ""})


class DrawerOpeningRow(SQLModel, table=True):
    """Every time the till asked the printer to open the cash drawer: when, why, and whether it did."""

    __tablename__ = "drawer_openings"
    id: int | None = Field(default=None, primary_key=True)
    till_id: str
    opened_at: str
    reason: str
    opened: bool
    message: str
    cashier: str = Field(default="", sa_column_kwargs={"server_default": ""})


class CashierRow(SQLModel, table=True):
    """Someone who works the till: a name, a role, and the PIN only as a salted slow hash."""

    __tablename__ = "cashiers"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    role: str  # cashier, manager, owner (domain/staff.Role)
    pin_hash: str  # scrypt$n$r$p$salt$hash (domain/staff.hash_pin); never the PIN
    active: bool = True
    failed_attempts: int = 0  # wrong PINs in a row
    locked_until: str | None = None  # after five wrong PINs, until this time (UTC ISO)
    created_at: str


class VoidRow(SQLModel, table=True):
    """A line removed or a cart cleared after Pay was pressed, or a sale abandoned: with a reason and who."""

    __tablename__ = "voids"
    id: int | None = Field(default=None, primary_key=True)
    till_id: str = Field(index=True)
    kind: str  # line, cart, sale
    sale_id: int | None = None
    amount_minor: int
    currency: str
    reason: str
    cashier: str = Field(default="", sa_column_kwargs={"server_default": ""})
    approved_by: str = ""
    at: str


class AuditEventRow(SQLModel, table=True):
    """The tamper-evident audit trail: append-only, each row chained to the one before by SHA-256."""

    __tablename__ = "audit_events"
    id: int | None = Field(default=None, primary_key=True)  # the sequence: 1, 2, 3… with no gap
    at: str
    till_id: str
    kind: str  # sale_paid, refund, void, drawer_opened, z_report, settings_changed, cashier_…, key_changed…
    actor: str = ""  # the cashier signed in ("" when the shop has no cashiers)
    approved_by: str = ""  # the manager who approved it, if it needed approval
    subject: str = ""  # what it is about: "receipt T1-0001", "refund T1-0002", …
    payload: str  # canonical JSON, with the digest of the record it covers
    prev_hash: str
    hash: str = Field(unique=True)


class ShopOutboxRow(SQLModel, table=True):
    """Catalog and store-setting edits made at this till, for the shop database (services/shop.py).

    Written in the same transaction as the edit, whether or not the till is in a shop yet; the sync
    sends the product or setting as it stands when it goes, so several edits of one go as the last.
    """

    __tablename__ = "shop_outbox"
    id: int | None = Field(default=None, primary_key=True)
    kind: str  # product (key: its SKU) or setting (key: the setting's name)
    key: str
    at: str


class GiftCardRow(SQLModel, table=True):
    """A gift card or store credit held by this till alone (a till with no shop database); its balance
    is the sum of its entries (domain/giftcards.py), never a column."""

    __tablename__ = "gift_cards"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)  # 16 characters, the last a check character
    purpose: str  # gift_card, store_credit (domain Purpose)
    currency: str
    issued_at: str


class GiftCardEntryRow(SQLModel, table=True):
    """One move of a till card's balance: issue, reload, redeem, refund to card, expire (or a
    redemption key given up). Written once, with its audit event, in the same transaction."""

    __tablename__ = "gift_card_entries"
    id: int | None = Field(default=None, primary_key=True)
    card_id: int = Field(foreign_key="gift_cards.id", index=True)
    kind: str  # domain EntryKind
    amount_minor: int  # zero or more; the kind says which way
    entry_key: str = Field(unique=True)  # the same step twice writes once
    at: str
    note: str = ""


class GiftCardRedemptionRow(SQLModel, table=True):
    """A gift card part of a sale, journaled before the card's ledger is asked (its recovery points:
    services/tenders/gift_card.py). Its key is the ledger entry's, so the card is debited once."""

    __tablename__ = "gift_card_redemptions"
    id: int | None = Field(default=None, primary_key=True)
    sale_id: int = Field(foreign_key="sales.id", index=True)  # the sale it pays towards
    redemption_key: str = Field(unique=True)
    code: str
    shop: bool  # the card is held at the shop database (else in this till's gift_cards)
    currency: str
    amount_minor: int
    state: str  # started, debited, recorded, given_back, cancelled, refused (RedemptionState)
    tender_id: int | None = Field(default=None, foreign_key="tenders.id")
    # The tender it books: gift_card, or store_credit for a store credit code (revision 0007).
    kind: str = Field(default="gift_card", sa_column_kwargs={"server_default": "gift_card"})
    note: str = ""
    created_at: str
    updated_at: str


class GiftCardSaleRow(SQLModel, table=True):
    """A gift card sold (or reloaded) by a paid sale, written in its receipt's transaction: the card is
    owed until its ledger entry is written (keyed by the sale and line, so once) and this row says so."""

    __tablename__ = "gift_card_sales"
    __table_args__ = (UniqueConstraint("sale_id", "line_no"),)
    id: int | None = Field(default=None, primary_key=True)
    sale_id: int = Field(foreign_key="sales.id")
    line_no: int
    code: str
    reload: bool
    currency: str
    amount_minor: int
    state: str  # owed, issued
    shop: bool = False  # where it was issued
    created_at: str
    updated_at: str


class StockItemRow(SQLModel, table=True):
    """How a product is stocked (domain/stock.StockItem); a product with no row is not tracked.
    Its own table, so the products' audited digest stays what it was."""

    __tablename__ = "stock_items"
    product_id: int = Field(foreign_key="products.id", primary_key=True)
    track_stock: bool = False
    unit: str = "each"  # domain Unit
    low_stock_milli: int | None = None  # alert below this (thousandths of the unit)
    open_price: bool = False  # its price is asked when it is added to a sale


class StockMovementRow(SQLModel, table=True):
    """One line of the stock ledger: written once, with its audit event, never changed."""

    __tablename__ = "stock_movements"
    __table_args__ = (Index("ix_stock_movements_product", "product_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="products.id")
    kind: str  # domain MovementKind
    quantity_milli: int  # signed thousandths of the unit: + in, - out
    cost_minor: int | None = None  # a delivery's cost per unit
    at: str = Field(index=True)
    till_id: str
    who: str = ""
    approved_by: str = ""
    why: str = ""
    sale_id: int | None = Field(default=None, foreign_key="sales.id")
    refund_id: int | None = Field(default=None, foreign_key="refunds.id")


class StockLevelRow(SQLModel, table=True):
    """The ledger's sum per product through movement `through_id` (the snapshot), rewritten in the
    transaction of every movement, so reading on-hand never sums a million rows. Bookkeeping: the
    ledger is the record (TillStock.drift compares them)."""

    __tablename__ = "stock_levels"
    # The low-stock list reads only the rows below their threshold, through this index.
    __table_args__ = (
        Index(
            "ix_stock_levels_headroom",
            text("on_hand_milli - low_stock_milli"),
            sqlite_where=text("low_stock_milli IS NOT NULL"),
        ),
    )
    product_id: int = Field(foreign_key="products.id", primary_key=True)
    on_hand_milli: int = 0
    through_id: int = 0
    last_cost_minor: int | None = None
    low_stock_milli: int | None = None  # the tracked product's threshold (stock_items'), for the index


# The tables for SQLAlchemy Core, the till's one way to its data (decision 0010): statements are
# built from these (insert(cashiers).values(...), select(receipts.c.id)), never spelled as SQL text.
products: Table = SQLModel.metadata.tables["products"]
settings: Table = SQLModel.metadata.tables["settings"]
sales: Table = SQLModel.metadata.tables["sales"]
sale_lines: Table = SQLModel.metadata.tables["sale_lines"]
card_attempts: Table = SQLModel.metadata.tables["card_attempts"]
receipts: Table = SQLModel.metadata.tables["receipts"]
tenders: Table = SQLModel.metadata.tables["tenders"]
refunds: Table = SQLModel.metadata.tables["refunds"]
refund_lines: Table = SQLModel.metadata.tables["refund_lines"]
z_reports: Table = SQLModel.metadata.tables["z_reports"]
drawer_movements: Table = SQLModel.metadata.tables["drawer_movements"]
drawer_openings: Table = SQLModel.metadata.tables["drawer_openings"]
cashiers: Table = SQLModel.metadata.tables["cashiers"]
voids: Table = SQLModel.metadata.tables["voids"]
audit_events: Table = SQLModel.metadata.tables["audit_events"]
shop_outbox: Table = SQLModel.metadata.tables["shop_outbox"]
gift_cards: Table = SQLModel.metadata.tables["gift_cards"]
gift_card_entries: Table = SQLModel.metadata.tables["gift_card_entries"]
gift_card_redemptions: Table = SQLModel.metadata.tables["gift_card_redemptions"]
gift_card_sales: Table = SQLModel.metadata.tables["gift_card_sales"]
unverified_returns: Table = SQLModel.metadata.tables["unverified_returns"]
stock_items: Table = SQLModel.metadata.tables["stock_items"]
stock_movements: Table = SQLModel.metadata.tables["stock_movements"]
stock_levels: Table = SQLModel.metadata.tables["stock_levels"]
exchanges: Table = SQLModel.metadata.tables["exchanges"]
till_sessions: Table = SQLModel.metadata.tables["till_sessions"]

DB_FILE = "pos.sqlite3"
# The till's layout is Alembic's (migrations/, version table till_schema_version). Before Alembic it
# was numbered in PRAGMA user_version, 1 to 12; revision 0001 brings any of those up. Every file
# Alembic holds says 13 there, so a till from before Alembic (which knew up to 12) refuses it rather
# than half-understands it, and a number above 13 is a newer till's.
LAST_NUMBERED_LAYOUT = 12
SCHEMA_VERSION = 13
# The first layout whose audit trail covers every table that holds money, stock prices, settings or
# roles, and keeps a head file that must be there (adapters/db/audit.py).
AUDIT_LAYOUT = 11
MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "till_schema_version"
_SQLITE_HEADER = b"SQLite format 3\x00"
# The open session each engine this process opened for writing holds (close_engine deletes it).
_SESSIONS: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Layout:
    """What a file says of its layout: the old number (0: none, or a new file) and Alembic's revision;
    and the open sessions left by processes that are gone (cleared once the file passed the full check)."""

    number: int
    revision: str | None
    left_open: tuple[str, ...] = ()


_REVISION_LINE = re.compile(r"^(revision|down_revision)\b[^=\n]*=\s*(?:\"([^\"]+)\"|'([^']+)'|None)", re.M)


@functools.cache
def known_revisions() -> dict[str, str | None]:
    """Each revision this till knows and the one it revises, read from the scripts' own lines once a
    process. Importing Alembic to ask costs ~0.3 s of every `pos` command's ~1 s start; a file at head
    needs only this, and Alembic is imported to migrate (tests check this against Alembic's reading)."""
    known: dict[str, str | None] = {}
    for script in sorted((MIGRATIONS / "versions").glob("*.py")):
        found = {m.group(1): m.group(2) or m.group(3) for m in _REVISION_LINE.finditer(script.read_text("utf-8"))}
        if found.get("revision"):
            known[found["revision"]] = found.get("down_revision")
    return known


def head_revision() -> str:
    """The revision no other revises (the chain is linear: one head)."""
    revised = set(known_revisions().values())
    heads = [revision for revision in known_revisions() if revision not in revised]
    assert len(heads) == 1, heads
    return heads[0]


def alembic_config(conn):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def migrate(conn, revision: str = "head") -> None:
    """Run the till's migrations up to `revision` on conn, inside its transaction (foreign keys off)."""
    from alembic import command

    command.upgrade(alembic_config(conn), revision)


def prepare_data_dir(data_dir: Path) -> None:
    """The data folder exists and is a folder, or StorageUnavailable in a cashier's words."""
    if data_dir.exists() and not data_dir.is_dir():
        raise StorageUnavailable(
            f"The till's data folder {data_dir} is a file, not a folder. Move that file "
            "away, or start the till with --data-dir set to a folder."
        )
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageUnavailable(f"The till cannot create its data folder {data_dir}: {exc.strerror}.") from None
    if os.name == "posix":
        try:
            os.chmod(data_dir, 0o700)
        except OSError:
            pass  # e.g. a read-only mount: the write check below says what matters


def _damaged(path: Path, detail: str) -> StorageUnavailable:
    detail = " ".join(detail.split())  # SQLite's report spans lines; the cashier gets one
    detail = detail if len(detail) <= 120 else detail[:119] + "…"
    return StorageUnavailable(
        f"The till's database {path} is damaged ({detail}). The till will not take payments with it. Restore "
        "the last backup, or move the file aside (keep it for support) and start again."
    )


def check_storage(engine: Engine, path: Path) -> Layout:
    """Before anything is written: the file is a database, and its layout is one this till knows (an
    older one is migrated by prove_writable). SQLite's full quick_check, which reads the whole file
    (1.6 s at 1,000,000 receipts), runs only when the last process that had the file open did not close
    it (a session row left behind) or the file is of a layout from before sessions; after a clean
    close the header, the layout and prove_writable's committed write are the checks, and the full
    one runs in the background (StorageWatch) and on `pos doctor`."""
    existed = path.exists() and path.stat().st_size > 0
    if existed:
        _check_header(path)
    try:
        with engine.connect() as conn:
            number = int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0)
            tables = {row[0] for row in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")}
            revisions: list[str] = []
            if VERSION_TABLE in tables:
                query = f"SELECT version_num FROM {VERSION_TABLE} ORDER BY version_num"  # noqa: S608
                revisions = [row[0] for row in conn.exec_driver_sql(query)]
            left_open: tuple[str, ...] = ()
            if "till_sessions" in tables:
                rows = conn.execute(select(till_sessions.c.id, till_sessions.c.process)).all()
                left_open = tuple(row.id for row in rows if sessions.is_gone(row.id, row.process))
            reason = None
            if left_open:
                reason = "the last process that had it open did not close it"
            elif existed and "till_sessions" not in tables:
                reason = "its layout is older than the record of open sessions"
            if reason is not None:
                problem = _quick_check(conn)
                log.info("storage: full check of %s (%s): %s", path, reason, problem or "ok")
                if problem is not None:
                    raise _damaged(path, f"SQLite's check found: {problem}")
            elif existed:
                log.info("storage: %s was closed cleanly: header, layout and a test write only", path)
            else:
                log.info("storage: %s is new", path)
    except StorageUnavailable:
        raise
    except (OperationalError, DBAPIError) as exc:
        text_ = str(exc.orig).lower()
        if "malformed" in text_ or "not a database" in text_ or "corrupt" in text_:
            raise _damaged(path, str(exc.orig)) from None
        raise StorageUnavailable(describe(exc)) from None
    if len(revisions) > 1:
        # The till's history is one line: Alembic would take the rows for branches and upgrade one.
        raise _edited(path, f"its {VERSION_TABLE} table records more than one layout ({', '.join(revisions)})")
    revision = revisions[0] if revisions else None
    if revision is not None and number < SCHEMA_VERSION:
        # Alembic's files say 13 in user_version (written with the revision, in one transaction): a
        # smaller number was edited in, and a till from before Alembic would read 0 as a new file.
        said = f"it says layout number {number} beside revision {revision}, where {SCHEMA_VERSION} belongs"
        raise _edited(path, said)
    if number == SCHEMA_VERSION and revision is None:
        # Only Alembic writes 13 there, always with its version row: without the row, the upgrade
        # would run again over tables that are already there and fail half way through.
        raise StorageUnavailable(
            f"The till's database {path} has lost the record of its layout (its {VERSION_TABLE} table "
            "is missing or empty). Nothing was changed. Restore the last backup, or call support."
        )
    known = revision is None or _known(revision)
    if number > SCHEMA_VERSION or not known:
        said = f"layout {revision}" if revision is not None and number <= SCHEMA_VERSION else f"layout {number}"
        raise StorageUnavailable(
            f"The till's database {path} was written by a newer version of the till ({said}; this "
            f"till knows up to {head_revision()}). Update the till to use it. Nothing was changed."
        )
    return Layout(number, revision, left_open)


def _check_header(path: Path) -> None:
    """The first 100 bytes: SQLite's magic, a page size it allows, and a file at least as long as
    the pages the header counts (a truncated file shows here without reading the rest)."""
    with open(path, "rb") as handle:
        header = handle.read(100)
    if header[: len(_SQLITE_HEADER)] != _SQLITE_HEADER:
        raise _damaged(path, "it is not a SQLite database")
    if len(header) < 100:
        raise _damaged(path, "its header is cut short")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        raise _damaged(path, f"its header names a page size of {page_size}")
    pages = int.from_bytes(header[28:32], "big")
    # The page count is SQLite's own only while the change counter matches version-valid-for.
    if pages and header[24:28] == header[92:96] and path.stat().st_size < pages * page_size:
        raise _damaged(path, "the file is shorter than its header says: it was cut off")


def _quick_check(conn) -> str | None:
    """SQLite's quick_check over the whole file: None if it is sound, else the first problem found."""
    result = conn.exec_driver_sql("PRAGMA quick_check").fetchall()
    return None if [r[0] for r in result] == ["ok"] else str(result[0][0])


def full_check(engine: Engine) -> str | None:
    """The whole file checked on a connection of its own (a read: it takes no write lock, so a sale
    is saved while it runs): None if sound, else the problem in SQLite's words (the caller logs it:
    the window's log, or `pos doctor`'s one line)."""
    # A connection of its own, opened for this check and closed after it: not one of the pool's,
    # whose page cache could hold a page as it was before the disk changed under it.
    own = create_engine(engine.url, poolclass=NullPool)
    try:
        with own.connect() as conn:
            problem = _quick_check(conn)
    except (OperationalError, DBAPIError) as exc:
        problem = " ".join(str(exc.orig).split())
        if not any(word in problem.lower() for word in ("malformed", "not a database", "corrupt")):
            raise StorageUnavailable(describe(exc)) from None
    finally:
        own.dispose()
    return problem


def _edited(path: Path, what: str) -> StorageUnavailable:
    return StorageUnavailable(
        f"The till's database {path} does not agree with itself about its layout: {what}. It was edited "
        "by hand or by another program. Nothing was changed. Restore the last backup, or call support."
    )


def _known(revision: str) -> bool:
    return revision in known_revisions()


def prove_writable(engine: Engine, layout: Layout, data_dir: Path | None = None) -> None:
    """Migrate an older layout, then commit a write: a full disk, a read-only mount or a locked
    file shows here, at start, not after a card was charged."""
    from . import audit

    head_file = data_dir / audit.HEAD_FILE if data_dir is not None else None
    # The audit head file is required from layout 11 on: a new file and one from before it get one.
    if layout.revision is not None or layout.number >= AUDIT_LAYOUT:
        head_file = None
    try:
        if layout.revision != head_revision():
            if head_file is not None and audit.read_head(head_file) is None:
                # Until the upgrade commits, the empty head (holds for any trail) stands, so a crash
                # in between leaves no missing head behind.
                _write_head(head_file, audit.Head(0, audit.GENESIS))
            with engine.connect() as conn:
                # Rebuilding a table needs foreign keys off, and SQLite only turns them off outside a
                # transaction: on this connection, before BEGIN, back on whatever happens.
                driver = conn.connection.dbapi_connection
                assert driver is not None
                driver.execute("PRAGMA foreign_keys = OFF")
                try:
                    # BEGIN IMMEDIATE: another process opening the same older file at once (a CLI
                    # command beside a starting till) waits for this upgrade, then finds it done,
                    # instead of failing "busy" when its read turns into a write.
                    conn.execution_options(sqlite_immediate=True)
                    with conn.begin():  # the whole upgrade, every revision, or none of it
                        _upgrade(conn, engine)
                        problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                        if problems:
                            raise StorageUnavailable(
                                f"The till's records do not hold together ({problems[0]}); nothing was changed."
                            )
                        conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")
                finally:
                    driver.execute("PRAGMA foreign_keys = ON")
            if head_file is not None:
                with engine.connect() as conn:
                    kept = audit.read_head(head_file)
                    # An older till's head moves to the upgraded trail only if the trail still holds it.
                    if kept is None or audit.head_holds(conn, kept):
                        _write_head(head_file, audit.tail(conn))
        session_id = uuid.uuid4().hex
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT OR REPLACE INTO settings (key, value) VALUES ('storage_checked_at', "
                "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"
            )
            # The committed test write also records this process as having the file open, and
            # clears the rows of gone processes once check_storage has checked the whole file.
            if layout.left_open:
                conn.execute(delete(till_sessions).where(till_sessions.c.id.in_(layout.left_open)))
            conn.execute(
                insert(till_sessions).values(
                    id=session_id, process=sessions.this_process(), opened_at=datetime.now(timezone.utc).isoformat()
                )
            )
        _SESSIONS[engine] = session_id
        sessions.hold(session_id)
        # Disposed without close_engine (a failed start, a test's stop): the row stays and no longer
        # stands for an open engine, so the next open checks the whole file.
        event.listen(engine, "engine_disposed", lambda _engine: sessions.release(session_id))
    except (OperationalError, DBAPIError) as exc:
        raise StorageUnavailable(describe(exc)) from None


def _upgrade(conn, engine: Engine) -> None:
    """migrate, with a revision that cannot run on what the file holds (its version row edited
    back, a table already there) said as that, not as a save that may work if tried again."""
    try:
        migrate(conn)
    except (OperationalError, DBAPIError) as exc:
        if describe(exc) != describe(Exception()):
            raise  # full, read-only, busy: storage_errors says which
        detail = " ".join(str(exc.orig).split())[:120]
        raise StorageUnavailable(
            f"The till could not bring its database {engine.url.database} up to date ({detail}). Nothing was "
            "changed. Restore the last backup, or call support."
        ) from None


def _write_head(head_file: Path, head) -> None:
    from . import audit

    try:
        audit.write_head(head_file, head)
    except OSError as exc:
        raise StorageUnavailable(
            f"The till cannot write its audit trail's head file {head_file}: {exc.strerror}."
        ) from None


def open_engine(data_dir: Path, *, busy_timeout_ms: int = 5000, read_only: bool = False) -> Engine:
    """The engine for the till's database in data_dir, created and migrated if new, and checked
    (check_storage) before it is handed out. read_only: every write is refused (PRAGMA query_only)."""
    prepare_data_dir(data_dir)
    path = data_dir / DB_FILE
    if read_only and not path.exists():
        raise StorageUnavailable(f"There is no till database in {data_dir} to open.")
    engine = create_engine(
        f"sqlite:///{path}", connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's begin event own transactions instead of the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get("sqlite_immediate")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    try:
        layout = check_storage(engine, path)  # refuse damaged or newer files before touching them
        if not read_only:
            with storage_errors():
                prove_writable(engine, layout, data_dir)
    except BaseException:
        engine.dispose()
        raise
    if os.name == "posix" and not read_only:
        for suffix in ("", "-wal", "-shm"):
            target = Path(f"{path}{suffix}")
            if target.exists():
                try:
                    os.chmod(target, 0o600)
                except OSError:
                    pass  # not ours to change (another user's file, or a read-only mount)
    return engine


def close_engine(engine: Engine) -> None:
    """A clean close: this process's open session is deleted (so the next open need not read the whole
    file), then the engine disposed. If the row cannot be deleted, the next open checks it all."""
    session_id = _SESSIONS.pop(engine, None)
    if session_id is not None:
        try:
            with engine.begin() as conn:
                conn.execute(delete(till_sessions).where(till_sessions.c.id == session_id))
        except (OperationalError, DBAPIError) as exc:
            log.warning("storage: the till's open session could not be closed (%s)", describe(exc))
    engine.dispose()


def writer(engine: Engine) -> Engine:
    """The same engine, but its transactions take the write lock at BEGIN."""
    return engine.execution_options(sqlite_immediate=True)

"""The shop database's tables (SQLModel, their own metadata: a till's SQLite never gets them).

Everything a till sends is keyed by the till that wrote it and that till's own number for it
(`(till_id, receipt_no)`, `(till_id, refund_no)`, …), so an upsert sent twice lands once and two
tills can never collide. Timestamps are the tills' ISO 8601 UTC strings, compared as text exactly
as the till's own reports compare them, so a shop report and the tills' reports pick the same rows.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Table, Text, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class ShopModel(SQLModel, registry=registry()):
    """Base of the shop's tables: a metadata of their own, migrated by Alembic (migrations/)."""


class ShopTill(ShopModel, table=True):
    """A till that joined the shop: its data folder's install id, the till id it answers to, and
    how far the shop has its audit trail (the outbox's acknowledgement)."""

    __tablename__ = "shop_tills"
    install_id: str = Field(primary_key=True)
    till_id: str = Field(unique=True)
    joined_at: str
    last_sync_at: str | None = None
    acked_seq: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    acked_hash: str = Field(default="", sa_column_kwargs={"server_default": ""})
    products_sent: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # the till's catalog outbox


class ShopEvent(ShopModel, table=True):
    """A till's audit trail, copied in order: the shop's anchor for it (docs/security.md)."""

    __tablename__ = "shop_events"
    __table_args__ = (Index("ix_shop_events_till_install", "till_id", "install_id"),)  # migration 0002
    install_id: str = Field(primary_key=True)
    seq: int = Field(primary_key=True)
    till_id: str
    at: str
    kind: str
    actor: str
    approved_by: str
    subject: str
    payload: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str
    hash: str


class ShopReceipt(ShopModel, table=True):
    __tablename__ = "shop_receipts"
    __table_args__ = (
        Index("ix_shop_receipts_created_at", "created_at"),
        Index("ix_shop_receipts_payment_intent", "payment_intent"),
    )
    till_id: str = Field(primary_key=True)
    receipt_no: int = Field(primary_key=True)
    created_at: str
    currency: str
    total_minor: int
    tax_minor: int
    discount_minor: int
    card_minor: int
    cash_minor: int
    change_minor: int
    rounding_minor: int
    tips_minor: int  # what its cards were charged beyond their share (tips on the reader)
    payment_intent: str | None = None
    card_brand: str | None = None
    card_last4: str | None = None
    cashier: str = ""
    store_name: str | None = None
    store_address: str | None = None
    receipt_footer: str | None = None


class ShopReceiptLine(ShopModel, table=True):
    __tablename__ = "shop_receipt_lines"
    till_id: str = Field(primary_key=True)
    receipt_no: int = Field(primary_key=True)
    line_no: int = Field(primary_key=True)
    sku: str
    name: str
    quantity: int
    unit_price_minor: int
    tax_rate_bp: int
    net_minor: int
    tax_minor: int
    gross_minor: int
    line_discount_minor: int = 0
    cart_share_minor: int = 0


class ShopTender(ShopModel, table=True):
    __tablename__ = "shop_tenders"
    till_id: str = Field(primary_key=True)
    receipt_no: int = Field(primary_key=True)
    part_no: int = Field(primary_key=True)
    kind: str
    amount_minor: int
    tendered_minor: int
    change_minor: int = 0
    rounding_minor: int = 0
    payment_intent: str | None = None
    card_brand: str | None = None
    card_last4: str | None = None
    card_present: str | None = None  # a reader payment's EMV receipt fields, as the till keeps them (0004)


class ShopRefund(ShopModel, table=True):
    """A refund, numbered at the till that gave it; it may be of another till's receipt."""

    __tablename__ = "shop_refunds"
    __table_args__ = (
        Index("ix_shop_refunds_at", "at"),
        Index("ix_shop_refunds_receipt", "receipt_till_id", "receipt_no"),
    )
    till_id: str = Field(primary_key=True)
    refund_no: int = Field(primary_key=True)
    receipt_till_id: str
    receipt_no: int
    at: str  # when Stripe (or the drawer) gave it back: the till's updated_at, as its reports use
    created_at: str
    amount_minor: int
    tax_minor: int
    currency: str
    tender_kind: str
    tender_part_no: int | None = None
    cash_for_card: bool = False
    stripe_refund: str | None = None
    reason: str | None = None
    cashier: str = ""
    lines: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # [[line_no, quantity, amount]]
    # The refund's own key at its till (migration 0003): it completes the claim of that key.
    refund_key: str | None = Field(default=None, index=True)
    # Cash: handed back less amount_minor, by the store's cash rounding (migration 0005).
    rounding_minor: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class ShopRefundClaim(ShopModel, table=True):
    """An amount of a receipt claimed by a till about to refund it (docs/decisions/0009-refund-claims-at-the-shop.md).
    Open until a refund with its key reaches the shop (complete) or the claiming till releases it."""

    __tablename__ = "shop_refund_claims"
    __table_args__ = (Index("ix_shop_refund_claims_receipt", "receipt_till_id", "receipt_no"),)
    claim_key: str = Field(primary_key=True)  # the refund's key (one claim per refund piece)
    receipt_till_id: str
    receipt_no: int
    till_id: str  # the till that claimed it
    install_id: str  # and its data folder
    amount_minor: int
    currency: str
    claimed_at: str  # the claiming till's clock (only that till compares it, to release)
    released_at: str | None = None


class ShopVoid(ShopModel, table=True):
    __tablename__ = "shop_voids"
    till_id: str = Field(primary_key=True)
    void_id: int = Field(primary_key=True)
    kind: str
    amount_minor: int
    currency: str
    reason: str
    cashier: str = ""
    approved_by: str = ""
    at: str = Field(index=True)


class ShopDrawerMovement(ShopModel, table=True):
    __tablename__ = "shop_drawer_movements"
    till_id: str = Field(primary_key=True)
    movement_id: int = Field(primary_key=True)
    kind: str
    amount_minor: int
    currency: str
    reason: str
    cashier: str = ""
    at: str = Field(index=True)


class ShopStockMovement(ShopModel, table=True):
    """A till's stock movement, sent up once (keyed by the till and its own movement id); `id` is the
    shop's order, by which the other tills of the shop take it down."""

    __tablename__ = "shop_stock_movements"
    __table_args__ = (UniqueConstraint("till_id", "movement_id"),)
    id: int | None = Field(default=None, primary_key=True)
    till_id: str
    movement_id: int
    sku: str = Field(index=True)
    kind: str
    quantity_milli: int
    cost_minor: int | None = None
    at: str
    who: str = ""
    approved_by: str = ""
    why: str = ""
    # The sending till's location (its `location` setting): tills take down only their own location's.
    location: str = Field(default="main", index=True, sa_column_kwargs={"server_default": "main"})


class ShopTillFigure(ShopModel, table=True):
    """One of a till's receipt figures for one UTC quarter hour (figures.py says which), kept by the
    sync in the transaction that stores the receipts; the shop report reads these (migration 0010)."""

    __tablename__ = "shop_till_figures"
    __table_args__ = (Index("ix_shop_till_figures_quarter", "quarter"),)
    till_id: str = Field(primary_key=True)
    quarter: str = Field(primary_key=True)  # 'YYYY-MM-DDTHH:MM', the quarter's start (UTC)
    figure: str = Field(primary_key=True)
    item: str = Field(primary_key=True)
    n: int = Field(sa_column=Column(BigInteger, nullable=False))
    amount: int = Field(sa_column=Column(BigInteger, nullable=False))


class ShopZReport(ShopModel, table=True):
    __tablename__ = "shop_z_reports"
    till_id: str = Field(primary_key=True)
    z_no: int = Field(primary_key=True)
    period_start: str
    period_end: str
    figures: str = Field(sa_column=Column(Text, nullable=False))
    counted_cash_minor: int | None = None
    cashier: str = ""
    audit_head: str = ""


class ShopProduct(ShopModel, table=True):
    """The shop's catalog: edited at any till, sent up by its outbox; `version` orders the edits."""

    __tablename__ = "shop_products"
    sku: str = Field(primary_key=True)
    barcode: str | None = None
    name: str
    category: str
    price_minor: int
    currency: str
    tax_rate_bp: int
    active: bool = True
    colour: str | None = None  # the tile's colour, #rrggbb; checked again by each till that takes it
    favourite: int | None = None  # its place on the Favourites page, 1 first
    version: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    edited_by: str = ""  # the till id whose edit this is
    edited_at: str = ""


class ShopSetting(ShopModel, table=True):
    """The store settings every till shares (name, address, currency, tax, time zone, …)."""

    __tablename__ = "shop_settings"
    key: str = Field(primary_key=True)
    value: str
    version: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    edited_by: str = ""
    edited_at: str = ""


class ShopCounter(ShopModel, table=True):
    """The catalog's and settings' version counter. Taken with UPDATE … RETURNING, which holds the
    row until commit: edits get versions in the order they commit, so a till that read up to
    version N never misses an edit numbered below N committed after it looked."""

    __tablename__ = "shop_counters"
    name: str = Field(primary_key=True)
    value: int = Field(sa_column=Column(BigInteger, nullable=False))


class ShopGiftCard(ShopModel, table=True):
    """A gift card or store credit issued by any till of the shop (migration 0006). Its row is what a
    redemption locks (SELECT … FOR UPDATE), so two tills spending one card take turns."""

    __tablename__ = "shop_gift_cards"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)
    purpose: str  # gift_card, store_credit
    currency: str
    issued_at: str
    till_id: str  # the till that sold it
    expires_on: str | None = None  # the store's day it can no longer be spent (migration 0011); None never


class ShopGiftCardEntry(ShopModel, table=True):
    """One move of a shop card's balance; the balance is their sum (domain/giftcards.py)."""

    __tablename__ = "shop_gift_card_entries"
    id: int | None = Field(default=None, primary_key=True)
    card_id: int = Field(foreign_key="shop_gift_cards.id", index=True)
    kind: str
    amount_minor: int
    entry_key: str = Field(unique=True)  # the same step from any till writes once
    till_id: str
    at: str
    note: str = ""


ALL_TABLES = ShopModel.metadata


def _table(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined]


# The tables as SQLAlchemy Core sees them (the sync writes in batches, not object by object).
TILLS = _table(ShopTill)
EVENTS = _table(ShopEvent)
RECEIPTS = _table(ShopReceipt)
RECEIPT_LINES = _table(ShopReceiptLine)
TENDERS = _table(ShopTender)
REFUNDS = _table(ShopRefund)
CLAIMS = _table(ShopRefundClaim)
VOIDS = _table(ShopVoid)
DRAWER_MOVEMENTS = _table(ShopDrawerMovement)
Z_REPORTS = _table(ShopZReport)
PRODUCTS = _table(ShopProduct)
SETTINGS = _table(ShopSetting)
GIFT_CARDS = _table(ShopGiftCard)
GIFT_CARD_ENTRIES = _table(ShopGiftCardEntry)
STOCK_MOVEMENTS = _table(ShopStockMovement)

# What a receipt carries between a till's file and the shop, column for column (the same names on
# both sides): sent up by the sync (sync.py), copied down to refund another till's (copies.py).
RECEIPT_COLUMNS = (
    "created_at",
    "currency",
    "total_minor",
    "tax_minor",
    "discount_minor",
    "card_minor",
    "cash_minor",
    "change_minor",
    "rounding_minor",
    "payment_intent",
    "card_brand",
    "card_last4",
    "cashier",
    "store_name",
    "store_address",
    "receipt_footer",
)
LINE_COLUMNS = (
    "line_no",
    "sku",
    "name",
    "quantity",
    "unit_price_minor",
    "tax_rate_bp",
    "net_minor",
    "tax_minor",
    "gross_minor",
    "line_discount_minor",
    "cart_share_minor",
)
TENDER_COLUMNS = (
    "part_no",
    "kind",
    "amount_minor",
    "tendered_minor",
    "change_minor",
    "rounding_minor",
    "payment_intent",
    "card_brand",
    "card_last4",
    "card_present",
)

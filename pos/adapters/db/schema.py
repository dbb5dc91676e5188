"""Tables (SQLModel) and the engine with the pragmas a till needs.

One SQLite file: WAL so searches read while a sale is written, synchronous=FULL
so a committed sale survives a power cut, foreign keys on. Write transactions
start with BEGIN IMMEDIATE so two writers never deadlock on a lock upgrade.
"""

from __future__ import annotations


from sqlalchemy import Index, Table, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class ProductRow(SQLModel, table=True):
    __tablename__ = "products"
    # The sale screen reads pages, never the catalog (issue 27 item 5): a category's page in name
    # order, the category list (one index seek per category, CatalogRepo.categories) and the
    # Favourites page come straight off these partial indexes of the active products, so their cost
    # does not grow with the catalog.
    __table_args__ = (
        Index("ix_products_active_category_name", "category", "name", sqlite_where=text("active = 1")),
        Index(
            "ix_products_active_favourite",
            "favourite",
            "name",
            sqlite_where=text("active = 1 AND favourite IS NOT NULL"),
        ),
    )
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

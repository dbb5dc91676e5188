"""The till's tables, as SQLAlchemy Core tables: the till's one way to its data (decision 0010).

Statements are built from these (insert(cashiers).values(...), select(receipts.c.id)), never spelled
as SQL text. They describe the layout at head; the file's layout is Alembic's (migrations/), and a
test compares the two (tests/backoffice/test_layouts.py). Plain Core, not SQLModel classes: building
the classes (pydantic models) and importing SQLModel, pydantic and the ORM cost about 0.2 s of every
`pos` command's start, and nothing reads a row as a model (issue 27 item 2).

Types as SQLModel gave them, so the layout is the one the earlier classes made: text is VARCHAR
(String), a required column NOT NULL, and a default written by an insert that leaves the column out.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, MetaData, String, Table, UniqueConstraint, text

# The till's tables alone (the shop database's have their own metadata: adapters/shop/tables.py).
metadata = MetaData()


products: Table = Table(
    "products",
    metadata,
    # The sale screen reads pages, never the catalog (issue 27 item 5): a category's page in name
    # order, the category list (one index seek per category, CatalogRepo.categories) and the
    # Favourites page come straight off these partial indexes of the active products, so their cost
    # does not grow with the catalog.
    Column("id", Integer, primary_key=True),
    Column("sku", String, nullable=False, unique=True),
    Column("barcode", String, nullable=True, unique=True),
    Column("name", String, nullable=False),
    Column("category", String, nullable=False, index=True),
    Column("price_minor", Integer, nullable=False),
    Column("currency", String, nullable=False),
    Column("tax_rate_bp", Integer, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("colour", String, nullable=True),  # the tile's colour, #rrggbb (domain/colours.py)
    Column("favourite", Integer, nullable=True),  # its place on the sale screen's Favourites page, 1 first
    Index("ix_products_active_category_name", "category", "name", sqlite_where=text("active = 1")),
    Index(
        "ix_products_active_favourite",
        "favourite",
        "name",
        sqlite_where=text("active = 1 AND favourite IS NOT NULL"),
    ),
)


settings: Table = Table(
    "settings",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", String, nullable=False),
)


# The sale_key of a sale copied from the shop database (another till's receipt, to refund it here:
# adapters/shop/copies.py); such a receipt's refunds are numbered at this till.
COPIED_SALE_PREFIX = "copy:"


# One sale in the payment journal. `sale_key` never changes; idempotency keys derive from it.
sales: Table = Table(
    "sales",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sale_key", String, nullable=False, unique=True),
    Column("till_id", String, nullable=False),
    Column("state", String, nullable=False, index=True),
    Column("currency", String, nullable=False),
    Column("total_minor", Integer, nullable=False),
    Column("tax_minor", Integer, nullable=False),
    Column("subtotal_minor", Integer, nullable=False),
    Column("tax_inclusive", Boolean, nullable=False),
    Column(
        "create_params", String, nullable=False
    ),  # the CreateIntent request as JSON (older layouts: the Stripe parameters sent)
    Column("payment_intent", String, nullable=True, index=True),
    Column("note", String, nullable=True),  # what recovery or a failure said, for the cashier
    Column(
        "cart_discount_minor", Integer, nullable=False, default=0
    ),  # the whole cart's discount (shared over the lines' amounts)
    Column("cart_discount_reason", String, nullable=True),
    # A card part of a sale paid in several tenders: the sale it pays towards. Such a row has no
    # lines; its total is the part's amount, and it runs the same phases as a whole-card sale.
    Column("order_id", Integer, nullable=True, index=True),
    Column("created_at", String, nullable=False),
    Column("updated_at", String, nullable=False),
)


sale_lines: Table = Table(
    "sale_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sale_id", Integer, ForeignKey("sales.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("product_id", Integer, nullable=True),
    Column("sku", String, nullable=False),
    Column("name", String, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_minor", Integer, nullable=False),
    Column("tax_rate_bp", Integer, nullable=False),
    Column("net_minor", Integer, nullable=False),
    Column("tax_minor", Integer, nullable=False),
    Column("gross_minor", Integer, nullable=False),
    # Off the price amount before tax: the line's own discount and its share of the cart's.
    Column("line_discount_minor", Integer, nullable=False, default=0),
    Column("cart_share_minor", Integer, nullable=False, default=0),
    Column("discount_reason", String, nullable=True),
    # A weighed line: its quantity in thousandths of `unit` (quantity is 1 label; unit_price_minor the
    # line's price, the weight times the price per unit, rounded once). NULL: counted in units.
    Column("measure_milli", Integer, nullable=True),
    Column("unit", String, nullable=True),
    Column("measure_price_minor", Integer, nullable=True),  # the shelf price per unit then (receipts print "@ 3.50/kg")
    UniqueConstraint("sale_id", "line_no"),
)


# One confirm attempt of a sale's PaymentIntent, recorded before it is sent.
card_attempts: Table = Table(
    "card_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sale_id", Integer, ForeignKey("sales.id"), nullable=False, index=True),
    Column("attempt_no", Integer, nullable=False),
    Column("payment_method", String, nullable=False),
    Column("idempotency_key", String, nullable=False, unique=True),
    Column("params", String, nullable=False),  # the exact JSON sent with the confirm
    Column("state", String, nullable=False),  # sent, succeeded, declined, requires_action, failed
    Column("decline_code", String, nullable=True),
    Column("message", String, nullable=True),
    Column("charge_id", String, nullable=True),
    Column("card_brand", String, nullable=True),
    Column("card_last4", String, nullable=True),
    Column("created_at", String, nullable=False),
    Column("updated_at", String, nullable=False),
    UniqueConstraint("sale_id", "attempt_no"),
)


receipts: Table = Table(
    "receipts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("till_id", String, nullable=False),
    Column("receipt_no", Integer, nullable=False),
    Column("sale_id", Integer, ForeignKey("sales.id"), nullable=False, unique=True),
    Column("created_at", String, nullable=False),
    Column("currency", String, nullable=False),
    Column("total_minor", Integer, nullable=False),
    Column("tax_minor", Integer, nullable=False),
    Column("payment_intent", String, nullable=True, unique=True),  # a whole-card sale's; else None
    Column("card_brand", String, nullable=True),
    Column("card_last4", String, nullable=True, index=True),
    Column("status", String, nullable=False, default="paid"),
    Column("refunded_minor", Integer, nullable=False, default=0),
    Column(
        "discount_minor", Integer, nullable=False, default=0
    ),  # everything taken off the sale (lines' and cart's discounts)
    # How it was paid (the tenders table lists each part): card_minor + cash_minor = total + rounding.
    Column("card_minor", Integer, nullable=False, default=0),
    Column("cash_minor", Integer, nullable=False, default=0),  # kept in the drawer: cash handed over less change
    Column("change_minor", Integer, nullable=False, default=0),
    Column(
        "rounding_minor", Integer, nullable=False, default=0
    ),  # cash rounding: cash due less the total still due (negative: paid less)
    # What the printed receipt said, so a reprint says the same whatever the settings are now
    # (NULL on receipts from before layout 3: those reprint with the current settings).
    Column("store_name", String, nullable=True),
    Column("store_address", String, nullable=True),
    Column("receipt_footer", String, nullable=True),
    Column("cashier", String, nullable=False, default="", server_default=""),  # who sold it ("": no cashiers)
    UniqueConstraint("till_id", "receipt_no"),
    Index("ix_receipts_created_at", "created_at"),
    Index("ix_receipts_total_minor", "total_minor"),
    Index("ix_receipts_receipt_no", "receipt_no"),
    Index("ix_receipts_till_created", "till_id", "created_at"),
)


# One part of a sale's payment, written when it is paid: cash taken, or a card payment that succeeded.
tenders: Table = Table(
    "tenders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sale_id", Integer, ForeignKey("sales.id"), nullable=False, index=True),  # the sale it pays
    Column("part_no", Integer, nullable=False),
    Column("kind", String, nullable=False),  # cash, card (domain/tender.TenderKind)
    Column("state", String, nullable=False),  # paid, returned (services/states.TenderState)
    Column("currency", String, nullable=False),
    Column("amount_minor", Integer, nullable=False),  # what it paid of the sale
    Column(
        "tendered_minor", Integer, nullable=False
    ),  # cash handed over; what a card was charged (its amount plus a tip given on the reader)
    Column("change_minor", Integer, nullable=False, default=0),
    Column("rounding_minor", Integer, nullable=False, default=0),
    Column("part_sale_id", Integer, ForeignKey("sales.id"), nullable=True),  # the card payment's journal row
    Column("payment_intent", String, nullable=True, unique=True),
    Column("card_brand", String, nullable=True),
    Column("card_last4", String, nullable=True),
    # A card read by a reader: the EMV fields its receipt prints (domain CardPresentReceipt as JSON).
    Column("card_present", String, nullable=True),
    Column("note", String, nullable=True),  # how a returned part went back (refund id, cash handed back)
    Column("created_at", String, nullable=False),
    Column("updated_at", String, nullable=False),
    UniqueConstraint("sale_id", "part_no"),
)


# One refund in the refund journal: recorded before Stripe is asked, numbered when it succeeds.
refunds: Table = Table(
    "refunds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("refund_key", String, nullable=False, unique=True),
    Column("receipt_id", Integer, ForeignKey("receipts.id"), nullable=False, index=True),
    Column("till_id", String, nullable=False),
    Column("state", String, nullable=False, index=True),  # sent, succeeded, failed
    Column("amount_minor", Integer, nullable=False),
    Column(
        "tax_minor", Integer, nullable=False, default=0
    ),  # the tax given back inside amount_minor (domain/refunds.py shares it)
    Column("currency", String, nullable=False),
    Column("reason", String, nullable=True),
    Column("tender_id", Integer, ForeignKey("tenders.id"), nullable=True),  # the part it gives back to
    Column(
        "tender_kind", String, nullable=False, default="card"
    ),  # how it was given back: card (through Stripe) or cash (from the drawer)
    Column(
        "cash_for_card", Boolean, nullable=False, default=False
    ),  # cash handed back for a card part, as the cashier confirmed
    # Cash: what was handed back less amount_minor, by the store's cash rounding (domain/refunds.cash_back).
    Column("rounding_minor", Integer, nullable=False, default=0, server_default="0"),
    Column(
        "params", String, nullable=False
    ),  # the CreateRefund request as JSON (older layouts: the Stripe parameters sent)
    Column("stripe_refund", String, nullable=True),
    Column("refund_no", Integer, nullable=True),  # gapless per till, given when the refund succeeds
    Column("message", String, nullable=True),
    Column("created_at", String, nullable=False),
    Column("updated_at", String, nullable=False),
    Column("cashier", String, nullable=False, default="", server_default=""),  # who gave it back
    # Given as store credit (tender_kind store_credit): the code it went onto (the gift-card ledger's,
    # purpose store_credit), printed on the slip (revision 0004).
    Column("store_credit_code", String, nullable=True),
    UniqueConstraint("till_id", "refund_no"),
    Index("ix_refunds_till_updated", "till_id", "updated_at"),
)


refund_lines: Table = Table(
    "refund_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("refund_id", Integer, ForeignKey("refunds.id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("amount_minor", Integer, nullable=False),
    # Back on the shelf (the refund puts it into stock), or written off (domain/stock.MovementKind).
    Column("to_stock", Boolean, nullable=False, default=True, server_default="1"),
)


# Goods taken back without a receipt (a manager approved it): given back in cash or as store
# credit only, and marked unverified in reports and the audit trail. Numbered in the till's refund
# sequence (a refund of goods, with no receipt to hang on): refund numbers stay gapless across this
# table and `refunds`, and a Z's last_refund_no closes both.
unverified_returns: Table = Table(
    "unverified_returns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "return_key", String, nullable=False, unique=True
    ),  # the store-credit issue key, and what recovery settles by
    Column("till_id", String, nullable=False, index=True),
    Column("state", String, nullable=False, index=True),  # sent, succeeded (services/states.RefundState)
    Column(
        "tender_kind", String, nullable=False
    ),  # cash or store_credit: how it was given back (never to a card: no payment to refund)
    Column("amount_minor", Integer, nullable=False),
    Column(
        "rounding_minor", Integer, nullable=False, default=0
    ),  # kept 0: a cash return is asked in whole cash steps (services/returns.py)
    Column(
        "tax_minor", Integer, nullable=False, default=0
    ),  # unknown without a receipt: none is taken off the tax owed
    Column("currency", String, nullable=False),
    Column("note", String, nullable=False),  # what was brought back, as the cashier typed it
    Column(
        "approved_by", String, nullable=False, default=""
    ),  # the manager who approved it ("" when the shop has no cashiers)
    Column("cashier", String, nullable=False, default=""),
    Column("refund_no", Integer, nullable=True),  # in the till's refund numbering, given when it is done
    Column("store_credit_code", String, nullable=True),  # given as store credit: the code it went onto
    Column("created_at", String, nullable=False),
    Column("updated_at", String, nullable=False),
)


# An exchange at the counter (services/exchanges.py), written before its returned lines are
# refunded: its key is the refund's store-credit piece's, so after a crash recovery finds the code
# the credit went onto and says whether it paid the new sale or stays on the code (revision 0008).
exchanges: Table = Table(
    "exchanges",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("exchange_key", String, nullable=False, unique=True),  # the store-credit piece's refund_key
    Column("receipt_id", Integer, ForeignKey("receipts.id"), nullable=False),  # the receipt whose lines came back
    Column("currency", String, nullable=False),
    Column("credit_minor", Integer, nullable=False),  # what the returned lines give as store credit
    Column(
        "state", String, nullable=False, index=True
    ),  # started, applied, kept, dropped (services/exchanges.ExchangeState)
    Column("sale_id", Integer, nullable=True),  # the new sale the credit paid towards
    Column("note", String, nullable=False, default=""),
    Column("created_at", String, nullable=False),
    Column("updated_at", String, nullable=False),
)


# A process that has the file open for writing (sessions.py): deleted by its clean close, so one
# left behind by a process that is gone means the next open reads the whole file (revision 0011).
till_sessions: Table = Table(
    "till_sessions",
    metadata,
    Column("id", String, primary_key=True),
    Column("process", String, nullable=False),  # host|boot|pid|start time (sessions.this_process)
    Column("opened_at", String, nullable=False),
)


# A closed business day: its number, the period it covers, and its figures as printed.
z_reports: Table = Table(
    "z_reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("till_id", String, nullable=False),
    Column("z_no", Integer, nullable=False),
    Column("period_start", String, nullable=False),
    Column("period_end", String, nullable=False),
    Column("figures", String, nullable=False),
    # What the Z closed, by sequence: every receipt and refund numbered up to these (clock-proof).
    Column("last_receipt_no", Integer, nullable=False, default=0),
    Column("last_refund_no", Integer, nullable=False, default=0),
    Column(
        "last_movement_id", Integer, nullable=False, default=0
    ),  # and every drawer movement (float, paid in, paid out) up to this id
    Column("counted_cash_minor", Integer, nullable=True),  # what the cashier counted in the drawer, if counted
    Column("cashier", String, nullable=False, default="", server_default=""),  # who closed the day
    # The audit trail's last hash when the day was closed (printed on the Z).
    Column("audit_head", String, nullable=False, default="", server_default=""),
    Column("last_void_id", Integer, nullable=False, default=0, server_default="0"),  # every void up to this id
    UniqueConstraint("till_id", "z_no"),
)


# Cash put in or taken out of the drawer other than by a sale: the opening float, paid in, paid out.
drawer_movements: Table = Table(
    "drawer_movements",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("till_id", String, nullable=False, index=True),
    Column("kind", String, nullable=False),  # float, paid_in, paid_out (services/drawer.MovementKind)
    Column("amount_minor", Integer, nullable=False),
    Column("currency", String, nullable=False),
    Column("reason", String, nullable=False),
    Column("at", String, nullable=False),
    Column("cashier", String, nullable=False, default="", server_default=""),
)


# Every time the till asked the printer to open the cash drawer: when, why, and whether it did.
drawer_openings: Table = Table(
    "drawer_openings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("till_id", String, nullable=False),
    Column("opened_at", String, nullable=False),
    Column("reason", String, nullable=False),
    Column("opened", Boolean, nullable=False),
    Column("message", String, nullable=False),
    Column("cashier", String, nullable=False, default="", server_default=""),
)


# Someone who works the till: a name, a role, and the PIN only as a salted slow hash.
cashiers: Table = Table(
    "cashiers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String, nullable=False, unique=True),
    Column("role", String, nullable=False),  # cashier, manager, owner (domain/staff.Role)
    Column("pin_hash", String, nullable=False),  # scrypt$n$r$p$salt$hash (domain/staff.hash_pin); never the PIN
    Column("active", Boolean, nullable=False, default=True),
    Column("failed_attempts", Integer, nullable=False, default=0),  # wrong PINs in a row
    Column("locked_until", String, nullable=True),  # after five wrong PINs, until this time (UTC ISO)
    Column("created_at", String, nullable=False),
)


# A line removed or a cart cleared after Pay was pressed, or a sale abandoned: with a reason and who.
voids: Table = Table(
    "voids",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("till_id", String, nullable=False, index=True),
    Column("kind", String, nullable=False),  # line, cart, sale
    Column("sale_id", Integer, nullable=True),
    Column("amount_minor", Integer, nullable=False),
    Column("currency", String, nullable=False),
    Column("reason", String, nullable=False),
    Column("cashier", String, nullable=False, default="", server_default=""),
    Column("approved_by", String, nullable=False, default=""),
    Column("at", String, nullable=False),
)


# The tamper-evident audit trail: append-only, each row chained to the one before by SHA-256.
audit_events: Table = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True),  # the sequence: 1, 2, 3… with no gap
    Column("at", String, nullable=False),
    Column("till_id", String, nullable=False),
    Column(
        "kind", String, nullable=False
    ),  # sale_paid, refund, void, drawer_opened, z_report, settings_changed, cashier_…, key_changed…
    Column("actor", String, nullable=False, default=""),  # the cashier signed in ("" when the shop has no cashiers)
    Column("approved_by", String, nullable=False, default=""),  # the manager who approved it, if it needed approval
    Column("subject", String, nullable=False, default=""),  # what it is about: "receipt T1-0001", "refund T1-0002", …
    Column("payload", String, nullable=False),  # canonical JSON, with the digest of the record it covers
    Column("prev_hash", String, nullable=False),
    Column("hash", String, nullable=False, unique=True),
)


# Catalog and store-setting edits made at this till, for the shop database (services/shop.py).
#
# Written in the same transaction as the edit, whether or not the till is in a shop yet; the sync
# sends the product or setting as it stands when it goes, so several edits of one go as the last.
shop_outbox: Table = Table(
    "shop_outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String, nullable=False),  # product (key: its SKU) or setting (key: the setting's name)
    Column("key", String, nullable=False),
    Column("at", String, nullable=False),
)


# A gift card or store credit held by this till alone (a till with no shop database); its balance
# is the sum of its entries (domain/giftcards.py), never a column.
gift_cards: Table = Table(
    "gift_cards",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String, nullable=False, unique=True),  # 16 characters, the last a check character
    Column("purpose", String, nullable=False),  # gift_card, store_credit (domain Purpose)
    Column("currency", String, nullable=False),
    Column("issued_at", String, nullable=False),
    # The store's day from which it can no longer be spent (revision 0013); NULL: never.
    Column("expires_on", String, nullable=True),
)


# One move of a till card's balance: issue, reload, redeem, refund to card, expire (or a
# redemption key given up). Written once, with its audit event, in the same transaction.
gift_card_entries: Table = Table(
    "gift_card_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("card_id", Integer, ForeignKey("gift_cards.id"), nullable=False, index=True),
    Column("kind", String, nullable=False),  # domain EntryKind
    Column("amount_minor", Integer, nullable=False),  # zero or more; the kind says which way
    Column("entry_key", String, nullable=False, unique=True),  # the same step twice writes once
    Column("at", String, nullable=False),
    Column("note", String, nullable=False, default=""),
)


# A gift card part of a sale, journaled before the card's ledger is asked (its recovery points:
# services/tenders/gift_card.py). Its key is the ledger entry's, so the card is debited once.
gift_card_redemptions: Table = Table(
    "gift_card_redemptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sale_id", Integer, ForeignKey("sales.id"), nullable=False, index=True),  # the sale it pays towards
    Column("redemption_key", String, nullable=False, unique=True),
    Column("code", String, nullable=False),
    Column("shop", Boolean, nullable=False),  # the card is held at the shop database (else in this till's gift_cards)
    Column("currency", String, nullable=False),
    Column("amount_minor", Integer, nullable=False),
    Column(
        "state", String, nullable=False
    ),  # started, debited, recorded, given_back, cancelled, refused (RedemptionState)
    Column("tender_id", Integer, ForeignKey("tenders.id"), nullable=True),
    # The tender it books: gift_card, or store_credit for a store credit code (revision 0007).
    Column("kind", String, nullable=False, default="gift_card", server_default="gift_card"),
    Column("note", String, nullable=False, default=""),
    Column("created_at", String, nullable=False),
    Column("updated_at", String, nullable=False),
)


# A gift card sold (or reloaded) by a paid sale, written in its receipt's transaction: the card is
# owed until its ledger entry is written (keyed by the sale and line, so once) and this row says so.
gift_card_sales: Table = Table(
    "gift_card_sales",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sale_id", Integer, ForeignKey("sales.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("code", String, nullable=False),
    Column("reload", Boolean, nullable=False),
    Column("currency", String, nullable=False),
    Column("amount_minor", Integer, nullable=False),
    Column("state", String, nullable=False),  # owed, issued
    Column("shop", Boolean, nullable=False, default=False),  # where it was issued
    # The card's expiry day (ISO) as its ledger stamped it when issued; NULL while owed or with none:
    # the receipt and its reprints print it ("valid until …") without asking the ledger (the shop's).
    Column("expires_on", String, nullable=True),
    Column("created_at", String, nullable=False),
    Column("updated_at", String, nullable=False),
    UniqueConstraint("sale_id", "line_no"),
)


# How a product is stocked (domain/stock.StockItem); a product with no row is not tracked.
# Its own table, so the products' audited digest stays what it was.
stock_items: Table = Table(
    "stock_items",
    metadata,
    Column("product_id", Integer, ForeignKey("products.id"), primary_key=True),
    Column("track_stock", Boolean, nullable=False, default=False),
    Column("unit", String, nullable=False, default="each"),  # domain Unit
    Column("low_stock_milli", Integer, nullable=True),  # alert below this (thousandths of the unit)
    Column("open_price", Boolean, nullable=False, default=False),  # its price is asked when it is added to a sale
)


# One line of the stock ledger: written once, with its audit event, never changed.
stock_movements: Table = Table(
    "stock_movements",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("product_id", Integer, ForeignKey("products.id"), nullable=False),
    Column("kind", String, nullable=False),  # domain MovementKind
    Column("quantity_milli", Integer, nullable=False),  # signed thousandths of the unit: + in, - out
    Column("cost_minor", Integer, nullable=True),  # a delivery's cost per unit
    Column("at", String, nullable=False, index=True),
    Column("till_id", String, nullable=False),
    Column("who", String, nullable=False, default=""),
    Column("approved_by", String, nullable=False, default=""),
    Column("why", String, nullable=False, default=""),
    Column("sale_id", Integer, ForeignKey("sales.id"), nullable=True),
    Column("refund_id", Integer, ForeignKey("refunds.id"), nullable=True),
    Index("ix_stock_movements_product", "product_id", "id"),
)


# The ledger's sum per product through movement `through_id` (the snapshot), rewritten in the
# transaction of every movement, so reading on-hand never sums a million rows. Bookkeeping: the
# ledger is the record (TillStock.drift compares them).
stock_levels: Table = Table(
    "stock_levels",
    metadata,
    # The low-stock list reads only the rows below their threshold, through this index.
    Column("product_id", Integer, ForeignKey("products.id"), primary_key=True),
    Column("on_hand_milli", Integer, nullable=False, default=0),
    Column("through_id", Integer, nullable=False, default=0),
    Column("last_cost_minor", Integer, nullable=True),
    Column("low_stock_milli", Integer, nullable=True),  # the tracked product's threshold (stock_items'), for the index
    Index(
        "ix_stock_levels_headroom",
        text("on_hand_milli - low_stock_milli"),
        sqlite_where=text("low_stock_milli IS NOT NULL"),
    ),
)

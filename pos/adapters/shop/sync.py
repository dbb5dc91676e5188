"""The sync between a till's SQLite and the shop database (services/shop.py says the design).

Up: the audit trail is the outbox. Each round reads the shop's acknowledgement for this till
(`shop_tills.acked_seq`, row-locked), sends the events above it with the records they cover, and
moves the acknowledgement in the same shop transaction. Every insert is keyed by the till and its
own number and does nothing if the row is there, so a batch sent again after a crash (committed
at the shop, not yet known here) stores nothing twice. Catalog and setting edits made at this till
go up the same way from `shop_outbox`, acknowledged as `shop_tills.products_sent`.

Down: products and settings with a version above what this till last took, in version order.
An edit still waiting in this till's outbox is not overwritten: it goes up next and wins then.
The rule for two tills editing the same product or setting: the edit that reaches the shop last
wins (its version is higher), whole-row, and every till converges on it.
"""

from __future__ import annotations

import gc
import json
from contextlib import contextmanager
from operator import itemgetter
import uuid
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, Integer, Table, Text, bindparam, func, insert, literal, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlmodel.sql.sqltypes import AutoString

from pos.adapters.db import audit, core, stock
from pos.adapters.db import compiled as cx
from pos.adapters.db import schema as tables
from pos.adapters.db.catalog import product_row
from pos.adapters.db.raw import now_iso
from pos.adapters.db.settings import SHOP_WIDE, SettingsRepo, decode_written, store_value, stored_value
from pos.domain.catalog import CatalogRowError
from pos.domain.stock import MovementKind
from pos.domain.text import printable
from pos.services.crashpoints import crash_point
from pos.services.from_shop import SettingsError, product_from_shop, setting_from_shop
from pos.services.receipts import Criterion, ReceiptSummary
from pos.services.shop import Pulled, Pushed, ShopRefused, Waiting

from . import figures
from . import tables as t
from .claims import ShopRefundClaims, over_refunds, settle_claims
from .connect import migrate, shop_errors
from .giftcards import ShopGiftCards

# Events whose record is a copy of another till's (taken to refund it here): the shop has it already.
COPIED_KINDS = ("receipt_copied", "refund_copied")
RECORD_KINDS = ("receipt", "refund", "void", "drawer_movement", "z_report")


def _insert(conn: Connection, table: Table) -> Any:
    """INSERT with ON CONFLICT, in the dialect's own spelling (PostgreSQL's and SQLite's agree)."""
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.insert(table) if conn.dialect.name == "postgresql" else sqlite.insert(table)


def _insert_new(conn: Connection, table, rows: list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING: a row the shop has already is left as it is."""
    if not rows:
        return
    conn.execute(_insert(conn, table).on_conflict_do_nothing(), rows)


# Audit events a batch (one shop transaction): 3,000 cash sales' 6,000 events in one round trip's worth
# of COPYs and one commit, where 2,500 took three (each with its lock, figures and commit: ~8 ms of
# CPU a round here). `pos sync --batch N` sends fewer a transaction (a slow link, the crash tests).
BATCH_EVENTS = 10_000

# From this many rows a table's batch goes by COPY (one stream) rather than a statement per row.
COPY_FROM = 20


class _NotBinary(Exception):
    """A value of another type than its shop column's (a till file edited by hand: 1.5 or 'abc'
    where a whole number belongs), met by psycopg while packing a binary COPY, before it is sent:
    the batch's transaction is rolled back and the batch sent again as text, where the server reads
    every value against its column (and refuses this one: _refusals)."""


class _SentBefore(Exception):
    """A row the shop has already, met by a COPY straight into its table (a batch sent again after a
    lost acknowledgement): the batch's transaction is rolled back and the batch sent again through
    staging tables (push)."""


def _insert_rows(
    conn: Connection,
    table: Table,
    names: Sequence[str],
    rows: list[tuple[Any, ...]],
    straight: bool,
    binary: bool = False,
) -> bool:
    """_insert_new for rows as tuples in the order of `names` (the batch's large tables): by COPY on
    PostgreSQL from COPY_FROM rows, else as _insert_new. True when every row is known to be new.
    `binary`: the COPY in binary where every whole number is within its column's range (_in_range)."""
    if conn.dialect.name == "postgresql" and len(rows) >= COPY_FROM:
        return _copy_new(conn, table, names, rows, straight, binary and _in_range(table, names, rows))
    _insert_new(conn, table, [dict(zip(names, row, strict=True)) for row in rows])
    return False


def _copy_new(
    conn: Connection, table: Table, names: Sequence[str], rows: list[tuple[Any, ...]], straight: bool, binary: bool
) -> bool:
    """The same as INSERT … ON CONFLICT DO NOTHING, by COPY whatever the rows. `straight`: into the
    shop's table, the floor's own path: every row passes the table's own checks (its types, NOT
    NULL, keys), and in the usual case (rows the shop has not seen) that is all, and True; a key the
    shop has already raises _SentBefore (no savepoint a COPY: two round trips each saved, the rare
    batch sent again pays a second transaction instead). Else the rows go into a staging table of
    this connection (column types only, emptied at commit) and one INSERT … SELECT … ON CONFLICT DO
    NOTHING leaves the rows the shop has as they are; False."""
    import psycopg

    try:
        return _copy_rows(conn, table, names, rows, straight, binary)
    except psycopg.Error as exc:
        # psycopg's own cursor: its errors said as SQLAlchemy says a statement's (IntegrityError for a
        # row the shop's checks refuse, OperationalError for a lost link), so the callers and
        # shop_errors treat a batch sent by COPY as one sent by statements.
        raise DBAPIError.instance(f"COPY {table.name}", None, exc, psycopg.Error, hide_parameters=True) from None


def _copy_rows(
    conn: Connection, table: Table, names: Sequence[str], rows: list[tuple[Any, ...]], straight: bool, binary: bool
) -> bool:
    import psycopg

    columns = ", ".join(names)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]  # psycopg 3, in this transaction
    if straight:
        try:
            # Binary, as the floor copies: psycopg packs each value as its column's type in C (half
            # the till's COPY CPU of text) and refuses one of another type (TypeError); the range it
            # does not check, _in_range did. The rare batch that is not checked sends text.
            with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN{' (FORMAT binary)' if binary else ''}") as copy:
                if binary:
                    copy.set_types([_COPY_TYPE[type(table.c[name].type)] for name in names])
                for row in rows:
                    copy.write_row(row)
        except psycopg.errors.UniqueViolation:
            raise _SentBefore(table.name) from None
        except TypeError:
            if not binary:
                raise
            raise _NotBinary(table.name) from None
        return True
    stage = f"pos_stage_{table.name}"
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS"
        f" SELECT {columns} FROM {table.name} WITH NO DATA"
    )
    with cursor.copy(f"COPY {stage} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cursor.execute(
        f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {stage} ON CONFLICT DO NOTHING; TRUNCATE {stage}"
    )
    return False


# The shop's column types a binary COPY names (psycopg's names), by the shop table's column type.
_COPY_TYPE: dict[type, str] = {Integer: "int4", BigInteger: "int8", AutoString: "varchar", Text: "text"}
_INT4 = (-(2**31), 2**31 - 1)


def _in_range(table: Table, names: Sequence[str], rows: list[tuple[Any, ...]]) -> bool:
    """Whether every value of the rows' int4 columns is within int4's range, so the rows may go by
    binary COPY: psycopg packs an int4 without a range check (2**40, in a till file edited by hand,
    would be stored as 0, where text COPY has the server refuse it). False also when a column holds
    something that is not a number (compared with one: TypeError): text for those rows. A column's
    least and greatest value, in C (~3 ms a round of 3,000 sales, where binary saves ~7)."""
    whole = [n for n, name in enumerate(names) if type(table.c[name].type) is Integer]
    if not whole or not rows:
        return True
    if len(whole) == 1:  # itemgetter of one index gives the value, not a tuple of one
        columns: Any = [list(map(itemgetter(whole[0]), rows))]
    else:
        columns = zip(*map(itemgetter(*whole), rows), strict=True)
    try:
        return all(_INT4[0] <= min(column) and max(column) <= _INT4[1] for column in columns)
    except TypeError:
        return False


def _upsert(conn: Connection, table, rows: list[dict[str, Any]], key: tuple[str, ...]) -> None:
    if not rows:
        return
    statement = _insert(conn, table)
    columns = {c: statement.excluded[c] for c in rows[0] if c not in key}
    conn.execute(statement.on_conflict_do_update(index_elements=list(key), set_=columns), rows)


# A large read of the till's file (a batch's events, receipts, lines, tenders) run on the SQLite
# cursor of the local transaction, as plain tuples: no compile, no Row object per row (~8 ms of CPU
# a round of 3,000 sales). Only for statements whose columns need no conversion (text and whole
# numbers: what SQLite hands back is what SQLAlchemy would). One helper with the payment path's.
_compiled, _rows = cx.compiled, cx.rows


# The till's own file, through SQLAlchemy Core (decision 0010): statements built once.
_EVENTS, _OUTBOX, _PRODUCTS = tables.audit_events, tables.shop_outbox, tables.products
_RECEIPTS, _TENDERS, _LINES = tables.receipts, tables.tenders, tables.sale_lines
_REFUNDS, _REFUND_LINES, _MOVES = tables.refunds, tables.refund_lines, tables.stock_movements
_OUTBOX_ADD = insert(_OUTBOX)
_ALL_PRODUCTS_OUT = _OUTBOX.insert().from_select(
    ["kind", "key", "at"], select(literal("product"), _PRODUCTS.c.sku, bindparam("at")).select_from(_PRODUCTS)
)
_EVENT_HASH = select(_EVENTS.c.hash).where(_EVENTS.c.id == bindparam("seq"))
# A batch's events, each with what its payload names (SQLite's json_extract: no Python parse per event).
EVENT_NAMES = ("seq", "till_id", "at", "kind", "actor", "approved_by", "subject", "payload", "prev_hash", "hash")
_EVENTS_AFTER = _compiled(
    select(
        *(_EVENTS.c[name] for name in ("id", *EVENT_NAMES[1:])),
        func.json_extract(_EVENTS.c.payload, "$.record").label("record"),
        func.json_extract(_EVENTS.c.payload, "$.id").label("record_id"),
        func.json_extract(_EVENTS.c.payload, "$.records.stock_movement").label("moves"),
    )
    .where(_EVENTS.c.id > bindparam("after"))
    .order_by(_EVENTS.c.id)
    .limit(bindparam("n"))
)
# Where _EVENTS_AFTER's row holds the event's id, kind and hash, and what its payload names.
_AT_ID, _AT_KIND, _AT_HASH, _AT_RECORD, _AT_RECORD_ID, _AT_MOVES = 0, 3, 9, 10, 11, 12
_EDITS_AFTER = (
    select(_OUTBOX.c.id, _OUTBOX.c.kind, _OUTBOX.c.key)
    .where(_OUTBOX.c.id > bindparam("after"))
    .order_by(_OUTBOX.c.id)
    .limit(bindparam("n"))
)
_MOVEMENT = (
    select(_MOVES, _PRODUCTS.c.sku)
    .join(_PRODUCTS, _PRODUCTS.c.id == _MOVES.c.product_id)
    .where(_MOVES.c.id == bindparam("id"))
)
# A batch's receipts, their paid tenders and their lines, as the shop's rows (keyed by the till and
# its receipt number): three reads for the batch, not three a receipt.
RECEIPT_NAMES = ("till_id", "receipt_no", *t.RECEIPT_COLUMNS, "tips_minor")
LINE_NAMES = ("till_id", "receipt_no", *t.LINE_COLUMNS)
TENDER_NAMES = ("till_id", "receipt_no", *t.TENDER_COLUMNS)
# The batch's receipt ids as one JSON array (SQLite's json_each): one parameter, not one per receipt
# rendered into the statement at every batch (SQLAlchemy's expanding IN: compile work per batch).
_CHOSEN = _RECEIPTS.c.id.in_(select(func.json_each(bindparam("ids")).table_valued("value").c.value))
_TIPS = (  # what its cards were charged beyond their share (tips on the reader)
    select(func.coalesce(func.sum(_TENDERS.c.tendered_minor - _TENDERS.c.amount_minor), 0))
    .where(_TENDERS.c.sale_id == _RECEIPTS.c.sale_id, _TENDERS.c.state == "paid", _TENDERS.c.kind == "card")
    .scalar_subquery()
)
_RECEIPTS_OUT = _compiled(select(*(_RECEIPTS.c[name] for name in RECEIPT_NAMES[:-1]), _TIPS).where(_CHOSEN))
_TENDERS_OUT = _compiled(
    select(_RECEIPTS.c.till_id, _RECEIPTS.c.receipt_no, *(_TENDERS.c[name] for name in t.TENDER_COLUMNS))
    .join_from(_TENDERS, _RECEIPTS, _RECEIPTS.c.sale_id == _TENDERS.c.sale_id)
    .where(_CHOSEN, _TENDERS.c.state == "paid")
)
_LINES_OUT = _compiled(
    select(_RECEIPTS.c.till_id, _RECEIPTS.c.receipt_no, *(_LINES.c[name] for name in t.LINE_COLUMNS))
    .join_from(_LINES, _RECEIPTS, _RECEIPTS.c.sale_id == _LINES.c.sale_id)
    .where(_CHOSEN)
)
_REFUND = (
    select(
        _REFUNDS,
        _RECEIPTS.c.till_id.label("receipt_till_id"),
        _RECEIPTS.c.receipt_no,
        _TENDERS.c.part_no,
    )
    .join(_RECEIPTS, _RECEIPTS.c.id == _REFUNDS.c.receipt_id)
    .outerjoin(_TENDERS, _TENDERS.c.id == _REFUNDS.c.tender_id)
    .where(_REFUNDS.c.id == bindparam("id"))
)
_REFUNDED_LINES = (
    select(_REFUND_LINES.c.line_no, _REFUND_LINES.c.quantity, _REFUND_LINES.c.amount_minor)
    .where(_REFUND_LINES.c.refund_id == bindparam("id"))
    .order_by(_REFUND_LINES.c.line_no)
)
_PRODUCT = select(_PRODUCTS).where(_PRODUCTS.c.sku == bindparam("sku"))
_SENT_EDITS_GONE = _OUTBOX.delete().where(_OUTBOX.c.id < bindparam("sent"))
_PENDING = select(_OUTBOX.c.key).where(_OUTBOX.c.kind == bindparam("kind"), _OUTBOX.c.id > bindparam("sent"))
_SKUS = select(_PRODUCTS.c.sku, _PRODUCTS.c.id)
_BARCODE_ELSEWHERE = (_PRODUCTS.c.barcode == bindparam("code")) & (_PRODUCTS.c.sku != bindparam("taken"))
_HOLDING_BARCODE = select(_PRODUCTS.c.id).where(_BARCODE_ELSEWHERE)
_BARCODE_FREED = update(_PRODUCTS).where(_BARCODE_ELSEWHERE).values(barcode=None)
_TAKEN = sqlite_insert(_PRODUCTS)
_TAKE_PRODUCT = _TAKEN.on_conflict_do_update(
    index_elements=[_PRODUCTS.c.sku],
    set_={
        name: _TAKEN.excluded[name]
        for name in (
            "barcode",
            "name",
            "category",
            "price_minor",
            "currency",
            "tax_rate_bp",
            "active",
            "colour",
            "favourite",
        )
    },
)
# What the shop holds newest, in the order of the local keys of what this till took last.
_TAKEN_KEYS = ("shop_settings_version", "shop_products_version", "shop_stock_seq")
_SHOP_NEWEST = select(
    select(func.max(t.SETTINGS.c.version)).scalar_subquery(),
    select(func.max(t.PRODUCTS.c.version)).scalar_subquery(),
    select(func.max(t.STOCK_MOVEMENTS.c.id)).scalar_subquery(),
)
_SALES_IN_OTHER_CURRENCY = select(func.count()).where(tables.sales.c.currency != bindparam("currency"))
_WAITING_BY_RECORD = (
    select(func.json_extract(_EVENTS.c.payload, "$.record"), func.count())
    .where(_EVENTS.c.id > bindparam("acked"), _EVENTS.c.kind.not_in(COPIED_KINDS))
    .group_by(func.json_extract(_EVENTS.c.payload, "$.record"))
)
_EVENTS_WAITING = select(func.count()).where(_EVENTS.c.id > bindparam("acked"))
_EDITS_WAITING = select(func.count()).where(_OUTBOX.c.id > bindparam("sent"))


@contextmanager
def _rows_in_hand():
    """No cyclic garbage collection while a batch is read and sent (_send_batch, the till's row already
    locked). A batch of 3,000
    sales holds ~30,000 tuples at once (its events, receipts, lines, tenders): each of the ~45
    collections their allocation set off walked the ones still held, promoted them, and now and
    then that tipped a full collection of the whole process (~45 ms, for a round of ~60 ms of CPU).
    The rows hold no cycles: they are freed by their reference counts when the batch is done, so
    nothing is left for a collection to find; collecting resumes (as it was) when the round ends,
    also when it fails. Only there: the round's connect (up to 5 s), its wait for the till's row lock
    and each commit hold no batch, and a process's other garbage (the window's) is collected while
    they wait."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class _Till(NamedTuple):
    """This till's row at the shop as a round reads it: a plain tuple, not the table's SQLModel
    class (a process's first instance of one configures every ORM mapper: ~10 ms of CPU in the
    round that builds it, for a row the round only reads)."""

    till_id: str
    acked_seq: int
    acked_hash: str
    products_sent: int


class ShopDatabaseLink:
    """services.shop.ShopLink on a till's engine and the shop's engine."""

    def __init__(
        self,
        local: Engine,
        shop: Engine,
        settings: SettingsRepo,
        *,
        shared: Callable[[str], bool] = lambda _till: True,
        batch: int = BATCH_EVENTS,
    ):
        self._local = local
        self._shop = shop
        self._settings = settings
        self._shared = shared  # whether a till id's records belong in the shop (demo sales do not)
        self._batch = batch
        self._migrated = False
        self._install: str | None = None
        # Versions this till's own edits took at the shop, (local key, first, last) in order: those
        # of the batch being sent, and those committed this round (noted as taken with the round's
        # acknowledgement, so the pull does not bring them back).
        self._batch_versions: list[tuple[str, int, int]] = []
        self._own_versions: list[tuple[str, int, int]] = []

    # -- this till's identity ---------------------------------------------------------------------
    def install_id(self) -> str:
        """This data folder's own id at the shop (made once): a till id may change, this does not."""
        if self._install is None:
            self._install = self._read_install_id()
        return self._install

    def _read_install_id(self) -> str:
        with core.reading(self._local) as conn:
            found = stored_value(conn, "install_id")
        if found:
            return found
        with core.writing(self._local) as conn:
            found = stored_value(conn, "install_id")
            if not found:
                found = uuid.uuid4().hex
                store_value(conn, "install_id", found)
        return found

    def _till_id(self) -> str:
        return self._settings.load().till_id

    def _ready(self) -> None:
        if not self._migrated:
            migrate(self._shop)
            self._migrated = True

    def check_till_id(self, till_id: str) -> None:
        """ShopRefused if another till of the shop answers to `till_id`, or ever wrote records under it."""
        install = self.install_id()
        with shop_errors():
            self._ready()
            with self._shop.connect() as conn:
                if _taken_by_another(conn, till_id, install):
                    raise ShopRefused(_taken(till_id))

    def _join(self, conn: Connection, install: str, till_id: str) -> _Till:
        """First contact: this till joins the shop. The first till brings its catalog and settings;
        a later one takes the shop's (what it had queued before joining is not sent)."""
        if _taken_by_another(conn, till_id, install):
            raise ShopRefused(_taken(till_id))
        shop_has_catalog = conn.execute(select(func.count()).select_from(t.PRODUCTS)).scalar_one() > 0
        shop_has_settings = conn.execute(select(func.count()).select_from(t.SETTINGS)).scalar_one() > 0
        with core.writing(self._local) as local:
            if not shop_has_catalog:
                local.execute(_ALL_PRODUCTS_OUT, {"at": now_iso()})
            if not shop_has_settings:
                local.execute(_OUTBOX_ADD, [{"kind": "setting", "key": key, "at": now_iso()} for key in SHOP_WIDE])
            # Queued before joining, for what the shop already holds: its copy wins for this till.
            for kind, held in (("product", shop_has_catalog), ("setting", shop_has_settings)):
                if held:
                    local.execute(update(_OUTBOX).where(_OUTBOX.c.kind == kind).values(kind="skipped"))
            for key in ("shop_products_version", "shop_settings_version", "shop_acked_seq", "shop_outbox_sent"):
                store_value(local, key, "0")
        row = _Till(till_id=till_id, acked_seq=0, acked_hash="", products_sent=0)
        conn.execute(t.TILLS.insert().values(install_id=install, joined_at=now_iso(), **row._asdict()))
        return row

    # -- up -------------------------------------------------------------------------------------
    def push(self) -> Pushed:
        install, till_id = self.install_id(), self._till_id()
        total = Pushed()
        # What the shop acknowledged this round, noted here once when the round ends (one fsync'd
        # SQLite commit a round, not one a batch): the shop's own row is the truth the next round
        # reads, so a crash before this note costs nothing but a status bar behind by a round.
        noted: tuple[int, int] | None = None
        with shop_errors():
            self._ready()
            self._own_versions = []
            straight = True  # each batch's rows by COPY straight into the shop's tables (_copy_new)
            binary = True  # and in binary (_copy_rows), until a value of another type is met
            try:
                # One connection for the round: one pool checkout (and its liveness ping), not one a batch.
                with self._shop.connect() as conn:
                    while True:
                        self._batch_versions = []  # a batch rolled back took no versions
                        try:
                            with conn.begin():
                                with _refusals():
                                    till = self._lock_till(conn, install, till_id)
                                with _rows_in_hand():
                                    pushed, acked, sent_any, last = self._send_batch(
                                        conn, install, till_id, till, straight, binary
                                    )
                                if sent_any:
                                    crash_point("before_shop_commit")  # the batch sent, its commit not asked
                        except _SentBefore:
                            straight = False  # rolled back, nothing of it kept: the same batch again, staged
                            continue
                        except _NotBinary:
                            binary = False  # rolled back: the same batch again as text, the round's rest too
                            continue
                        straight = True
                        self._own_versions += self._batch_versions  # committed
                        # The shop's acknowledgement, noted at the round's end even when this batch sent
                        # nothing: a process killed after the shop's commit left the note here behind, and
                        # a round with nothing to send must still bring it level (else its sent edits
                        # count as waiting for good, and the pull skips the shop's newer rows of them).
                        noted = acked
                        if sent_any:
                            crash_point("after_shop_commit")  # the crash tests' seam (services/crashpoints.py)
                        total = total + pushed
                        if last:
                            break
            finally:  # also when the shop went away after a batch: what it committed is noted
                if noted is not None:
                    self._remember(*noted)
        return total

    def _send_batch(
        self, conn: Connection, install: str, till_id: str, till: _Till, straight: bool, binary: bool
    ) -> tuple[Pushed, tuple[int, int], bool, bool]:
        """One batch of what waits, in the caller's shop transaction with this till's row locked
        (`till`), and the shop's acknowledgement moved past it: what was sent, the acknowledgement
        (events, catalog edits; the shop's as it stood when nothing waited), whether anything was
        sent, and whether that was all that waited."""
        with _refusals():
            # The shop's statements inside the local read are the shop's: shop_errors() names them
            # before the local storage_errors() could take them for the till's own database.
            with core.reading(self._local) as local, shop_errors():
                self._check_continuity(local, till)
                events = _rows(local, _EVENTS_AFTER, after=till.acked_seq, n=self._batch)
                edits = local.execute(_EDITS_AFTER, {"after": till.products_sent, "n": self._batch}).all()
                # A short batch is all that waits: the round ends with it, not with an empty one.
                last = len(events) < self._batch and len(edits) < self._batch
                sent, touched = self._send_events(conn, local, install, events, straight, binary)
                products, settings = self._send_edits(conn, local, till_id, edits)
                # Refunds of one receipt from several tills meet here: more than was paid is flagged.
                flagged = over_refunds(conn, touched)
                if last:
                    settle_claims(conn, local, install)  # claims whose refund will not come
            values: dict[str, Any] = {"last_sync_at": now_iso()}
            if events:
                values.update(acked_seq=events[-1][_AT_ID], acked_hash=events[-1][_AT_HASH])
            if edits:
                values["products_sent"] = edits[-1].id
            conn.execute(t.TILLS.update().where(t.TILLS.c.install_id == install).values(**values))
        acked = values.get("acked_seq", till.acked_seq), values.get("products_sent", till.products_sent)
        pushed = Pushed(len(events), sent["receipt"], sent["refund"], products, settings, tuple(flagged))
        return pushed, acked, bool(events or edits), last

    def _lock_till(self, conn: Connection, install: str, till_id: str) -> _Till:
        """This till's row at the shop, locked for the round (a GUI round and `pos sync` take turns)."""
        query = select(*(t.TILLS.c[name] for name in _Till._fields)).where(t.TILLS.c.install_id == install)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = conn.execute(query).first()
        try:
            if row is None:
                return self._join(conn, install, till_id)
            till = _Till(*row)
            if till.till_id != till_id:  # the till id was changed here (after a Z): the shop follows
                if _taken_by_another(conn, till_id, install):
                    raise ShopRefused(_taken(till_id))
                conn.execute(t.TILLS.update().where(t.TILLS.c.install_id == install).values(till_id=till_id))
            return till
        except IntegrityError:
            raise ShopRefused(_taken(till_id)) from None

    @staticmethod
    def _check_continuity(local: Connection, till: _Till) -> None:
        """The shop's last event from this till must be this till's event of that number: a data
        folder restored from an old backup would otherwise number new receipts the shop already has."""
        if till.acked_seq == 0:
            return
        held = local.execute(_EVENT_HASH, {"seq": till.acked_seq}).scalar()
        if held is None or held != till.acked_hash:
            raise ShopRefused(
                f"this till's records do not continue what the shop database has from it (event {till.acked_seq}"
                " differs: was its data folder restored from an older backup?). Nothing was sent; keep the "
                "folder as it is and call support"
            )

    def _send_events(
        self, conn: Connection, local: Connection, install: str, events: Sequence[Any], straight: bool, binary: bool
    ) -> tuple[dict[str, int], set[tuple[str, int]]]:
        rows: dict[str, list[dict[str, Any]]] = {
            "refunds": [],
            "voids": [],
            "movements": [],
            "z": [],
            "stock": [],
        }
        sent = {"receipt": 0, "refund": 0}
        receipt_ids: list[int] = []
        event_rows = []
        for event in events:
            event_rows.append((install, *event[: len(EVENT_NAMES)]))
            if event[_AT_KIND] in COPIED_KINDS:
                continue
            if event[_AT_MOVES] is not None:
                for movement_id in json.loads(event[_AT_MOVES]):
                    self._stock(local, int(movement_id), rows["stock"])
            kind, record_id = event[_AT_RECORD], event[_AT_RECORD_ID]
            if kind not in RECORD_KINDS:
                continue
            if kind == "receipt":
                receipt_ids.append(record_id)
            elif kind == "refund":
                sent["refund"] += self._refund(local, record_id, rows)
            elif kind == "void":
                self._row(local, "voids", record_id, rows["voids"], "void_id")
            elif kind == "drawer_movement":
                self._row(local, "drawer_movements", record_id, rows["movements"], "movement_id")
            else:
                self._row(local, "z_reports", record_id, rows["z"], None)
        _insert_rows(conn, t.EVENTS, ("install_id", *EVENT_NAMES), event_rows, straight, binary)
        receipts = self._receipts(conn, local, receipt_ids, straight, binary)
        sent["receipt"] = len(receipts)
        for name, table in (
            ("refunds", t.REFUNDS),
            ("voids", t.VOIDS),
            ("movements", t.DRAWER_MOVEMENTS),
            ("z", t.Z_REPORTS),
            ("stock", t.STOCK_MOVEMENTS),
        ):
            _insert_new(conn, table, rows[name])
        touched = {(r["receipt_till_id"], r["receipt_no"]) for r in rows["refunds"]}
        touched |= _refunded_already(conn, receipts)
        return sent, touched

    def _stock(self, local: Connection, movement_id: int, rows: list[dict[str, Any]]) -> None:
        """This till's own stock movement (one taken down from another till is the shop's already)."""
        found = local.execute(_MOVEMENT, {"id": movement_id}).first()
        m = found._mapping if found is not None else None
        if m is None or m["till_id"] != self._till_id():
            return
        names = ("kind", "quantity_milli", "cost_minor", "at", "who", "approved_by", "why", "sku", "till_id")
        # The till's location as it is when sent (a till moved to another location sends its later
        # movements under the new one; what was sent stays where it was).
        location = self._settings.load().location
        row = {"movement_id": m["id"], "location": location, **{k: m[k] for k in names}}
        rows.append(row)
        if m["kind"] == MovementKind.TRANSFER_OUT.value:
            # Its arrival at the location it went to (named by its `why`, services/stock.transfer):
            # keyed by the negative movement id, so a batch sent again stores it once as well; the
            # tills there take it down as the other tills' movements.
            arrival = {"kind": MovementKind.TRANSFER_IN.value, "quantity_milli": -m["quantity_milli"]}
            rows.append({**row, **arrival, "movement_id": -m["id"], "location": m["why"], "why": f"from {location}"})

    def _receipts(
        self, conn: Connection, local: Connection, receipt_ids: list[int], straight: bool, binary: bool
    ) -> list[tuple[Any, ...]]:
        """The batch's receipts with their lines and paid tenders, read in one go per table and
        stored at the shop; the receipts' rows (RECEIPT_NAMES)."""
        if not receipt_ids:
            return []
        chosen = json.dumps(receipt_ids)
        found = _rows(local, _RECEIPTS_OUT, ids=chosen)
        shared = {till: self._shared(till) for till in {r[0] for r in found}}
        # Every till id is shared but a demo's: the rows as read, not copied again, when all are.
        everyone = all(shared.values())
        receipts = found if everyone else [r for r in found if shared[r[0]]]
        if not receipts:
            return []
        # RECEIPT_NAMES[2] is created_at; a batch's receipts share few minutes, each checked once.
        bad_time = figures.unfiled({r[2][: figures.QUARTER_CHARS] if isinstance(r[2], str) else r[2] for r in receipts})
        if bad_time is not None:
            raise ShopRefused(
                f"this till's receipts hold a time the shop cannot file ({printable(bad_time)[:60]}: was the "
                "till's file edited?). Nothing of the batch was stored; it waits here. Call support"
            )
        lines = _rows(local, _LINES_OUT, ids=chosen)
        tenders = _rows(local, _TENDERS_OUT, ids=chosen)
        if not everyone:
            lines, tenders = ([r for r in rows if shared[r[0]]] for rows in (lines, tenders))
        _insert_rows(conn, t.RECEIPT_LINES, LINE_NAMES, lines, straight, binary)
        _insert_rows(conn, t.TENDERS, TENDER_NAMES, tenders, straight, binary)
        # The report's figures, in the same transaction. Receipts the shop did not have (their COPY
        # went straight in) are added to their quarter hours; else the batch's quarter hours are
        # worked out again from the rows, so a batch sent again changes nothing.
        if _insert_rows(conn, t.RECEIPTS, RECEIPT_NAMES, receipts, straight, binary):
            stored = figures.Rows(RECEIPT_NAMES, receipts)
            figures.add_new(conn, stored, figures.Rows(LINE_NAMES, lines), figures.Rows(TENDER_NAMES, tenders))
        else:
            figures.refresh(conn, [(r[0], r[2]) for r in receipts])
        return receipts

    def _refund(self, local: Connection, refund_id: int, rows: dict[str, list[dict[str, Any]]]) -> int:
        found = local.execute(_REFUND, {"id": refund_id}).first()
        f = found._mapping if found is not None else None
        if f is None or f["refund_no"] is None or not self._shared(f["till_id"]):
            return 0
        lines = local.execute(_REFUNDED_LINES, {"id": refund_id}).all()
        rows["refunds"].append(
            {
                "till_id": f["till_id"],
                "refund_no": f["refund_no"],
                "receipt_till_id": f["receipt_till_id"],
                "receipt_no": f["receipt_no"],
                "at": f["updated_at"],
                "created_at": f["created_at"],
                "amount_minor": f["amount_minor"],
                "tax_minor": f["tax_minor"],
                "currency": f["currency"],
                "tender_kind": f["tender_kind"],
                "tender_part_no": f["part_no"],
                "cash_for_card": bool(f["cash_for_card"]),
                "stripe_refund": f["stripe_refund"],
                "reason": f["reason"],
                "cashier": f["cashier"],
                "lines": json.dumps([list(line) for line in lines]),
                "refund_key": f["refund_key"],  # completes the claim of that key (claims.py)
                "rounding_minor": f["rounding_minor"],
            }
        )
        return 1

    def _row(self, local: Connection, table: str, row_id: int, out: list[dict[str, Any]], id_as: str | None) -> None:
        row = audit.row_record(local, table, row_id)
        if not row or not self._shared(row["till_id"]):
            return
        if id_as is not None:
            row[id_as] = row.pop("id")
        else:
            row.pop("id")
        for dropped in ("sale_id", "last_receipt_no", "last_refund_no", "last_movement_id", "last_void_id"):
            row.pop(dropped, None)
        out.append(row)

    def _send_edits(self, conn: Connection, local: Connection, till_id: str, edits: Sequence[Any]) -> tuple[int, int]:
        """The products and settings edited here, as they stand now, each with a new shop version."""
        skus = list(dict.fromkeys(e.key for e in edits if e.kind == "product"))
        keys = list(dict.fromkeys(e.key for e in edits if e.kind == "setting" and e.key in SHOP_WIDE))
        stamp = now_iso()
        products = []
        for sku in skus:
            p = local.execute(_PRODUCT, {"sku": sku}).mappings().first()
            if p is not None:
                products.append(p)
        if products:
            first = self._versions(conn, "catalog", len(products))
            self._batch_versions.append(("shop_products_version", first, first + len(products) - 1))
            _upsert(
                conn,
                t.PRODUCTS,
                [
                    {
                        **{
                            k: p[k]
                            for k in ("sku", "barcode", "name", "category", "price_minor", "currency")
                            + ("colour", "favourite")  # the tile's look (issue 28)
                        },
                        "tax_rate_bp": p["tax_rate_bp"],
                        "active": bool(p["active"]),
                        "version": first + n,
                        "edited_by": till_id,
                        "edited_at": stamp,
                    }
                    for n, p in enumerate(products)
                ],
                ("sku",),
            )
        settings = [(k, stored_value(local, k)) for k in keys]
        settings = [(k, v) for k, v in settings if v is not None]
        if settings:
            first = self._versions(conn, "settings", len(settings))
            self._batch_versions.append(("shop_settings_version", first, first + len(settings) - 1))
            _upsert(
                conn,
                t.SETTINGS,
                [
                    {"key": k, "value": v, "version": first + n, "edited_by": till_id, "edited_at": stamp}
                    for n, (k, v) in enumerate(settings)
                ],
                ("key",),
            )
        return len(products), len(settings)

    @staticmethod
    def _versions(conn: Connection, name: str, count: int) -> int:
        """The first of `count` new versions; the counter's row stays locked until this commits."""
        last = conn.execute(
            text("UPDATE shop_counters SET value = value + :n WHERE name = :name RETURNING value"),
            {"n": count, "name": name},
        ).scalar_one()
        return int(last) - count + 1

    def _remember(self, acked: int, products_sent: int) -> None:
        """What the shop acknowledged, kept here for the status bar (the shop's row is the truth)."""
        own, self._own_versions = self._own_versions, []
        if not own:
            with core.reading(self._local) as local:
                noted_here = [stored_value(local, key) for key in ("shop_acked_seq", "shop_outbox_sent")]
            if noted_here == [str(acked), str(products_sent)]:
                return  # level already (the usual round with nothing to send): no write, no fsync
        with core.noting(self._local) as local:  # the shop's row is the truth: no fsync for this copy
            store_value(local, "shop_acked_seq", str(acked))
            store_value(local, "shop_outbox_sent", str(products_sent))
            # This till's own edits, versioned at the shop just now, are what it holds already: taken,
            # when nothing of another till's lies between what it took last and them (else the pull
            # takes them all in order, as before; taking an own edit back changes nothing).
            taken: dict[str, int] = {}
            for key, first, last in own:
                held = taken.get(key)
                held = int(stored_value(local, key) or 0) if held is None else held
                taken[key] = last if held == first - 1 else held
            for key, version in taken.items():
                store_value(local, key, str(version))
            # Sent edits are kept only until the shop has them; the newest stays so that SQLite never
            # hands a new edit an id at or below the acknowledged one.
            local.execute(_SENT_EDITS_GONE, {"sent": products_sent})

    # -- down -----------------------------------------------------------------------------------
    def pull(self) -> Pulled:
        settings, products, skipped = 0, 0, list[str]()
        with shop_errors():
            self._ready()
            # One question first: what the shop has newest of each (indexed maxima). A part with
            # nothing above what this till took is not asked for, and nothing is written here.
            with core.reading(self._local) as local:
                took = [int(stored_value(local, key) or 0) for key in _TAKEN_KEYS]
            with self._shop.connect() as conn:
                newest = [int(v or 0) for v in conn.execute(_SHOP_NEWEST).one()]
            has_settings, has_products, has_stock = (new > old for new, old in zip(newest, took, strict=True))
            # Settings first: the products are checked against the currency the till sells in now.
            if has_settings:
                settings, skipped = self._pull_settings()
            if has_products:
                products = self._pull_products()
            if has_stock:
                self._pull_stock()
        with core.reading(self._local) as local:
            aside = _set_aside(local)
        return Pulled(products, settings, tuple(skipped), tuple(f"{what}: {why}" for what, why in aside.items()))

    def _pull_stock(self) -> int:
        """The other tills' stock movements, in the shop's order after the last taken: each written
        into this till's ledger as theirs (their till, person and time), so this till's levels are the
        shop's. Only this till's location's: another location's shelves are not this one's. A SKU this
        till does not have is skipped (its catalog comes down first)."""
        with core.reading(self._local) as local:
            after = int(stored_value(local, "shop_stock_seq") or 0)
        mine, here = self._till_id(), self._settings.load().location
        with self._shop.connect() as conn:
            M = t.STOCK_MOVEMENTS
            found = conn.execute(
                select(M).where(M.c.id > after, M.c.till_id != mine, M.c.location == here).order_by(M.c.id).limit(5000)
            ).all()
            last = conn.execute(select(func.max(M.c.id)).where(M.c.id > after)).scalar()
        with core.writing(self._local) as local:
            ids = {sku: product_id for sku, product_id in local.execute(_SKUS)}
            moves = [
                stock.Move(
                    ids[r.sku],
                    MovementKind(r.kind),
                    r.quantity_milli,
                    r.why,
                    r.cost_minor,
                    till_id=r.till_id,
                    who=r.who,
                    at=r.at,
                    approved_by=r.approved_by,
                )
                for r in found
                if r.sku in ids
            ]
            stock.write_moves(local, moves, f"stock of other tills: {len(moves)} movements from the shop")
            if found or last:
                seen = found[-1].id if len(found) == 5000 else max(last or 0, after)
                store_value(local, "shop_stock_seq", str(seen))
        return len(moves)

    def _pending(self, local: Connection, kind: str) -> set[str]:
        sent = int(stored_value(local, "shop_outbox_sent") or 0)
        return set(local.execute(_PENDING, {"kind": kind, "sent": sent}).scalars())

    def _pull_products(self) -> int:
        """Takes the shop's products; one this till must not take is set aside and named (_set_aside)."""
        taken = 0
        while True:
            with core.reading(self._local) as local:
                since = int(stored_value(local, "shop_products_version") or 0)
            with self._shop.connect() as conn:
                found = (
                    conn.execute(
                        select(t.PRODUCTS)
                        .where(t.PRODUCTS.c.version > since)
                        .order_by(t.PRODUCTS.c.version)
                        .limit(5000)
                    )
                    .mappings()
                    .all()
                )
            if not found:
                return taken
            currency = self._settings.load().currency
            with core.writing(self._local) as local:
                pending = self._pending(local, "product")
                aside = _set_aside(local)
                touched: set[int] = set()  # every row that changed, for the batch's audit event
                for row in found:
                    if row["sku"] in pending:
                        continue  # edited here and not sent yet: it goes up next round, and wins
                    try:  # the catalog's rules, control characters among them (services/from_shop.py)
                        p = product_from_shop(row, currency)
                    except CatalogRowError as exc:
                        # Kept aside until the shop has a good one; named printably (it may be the bad part).
                        aside[f"product {printable(str(row['sku']))}"] = str(exc)
                        continue
                    aside.pop(f"product {printable(p.sku)}", None)
                    before = audit.covers(local, "product", audit.product_ids(local, [p.sku]))["covers"]["product"]
                    if p.barcode:
                        # A barcode that moved to this product leaves the one that had it here.
                        elsewhere = {"code": p.barcode, "taken": p.sku}
                        touched.update(local.execute(_HOLDING_BARCODE, elsewhere).scalars())
                        local.execute(_BARCODE_FREED, elsewhere)
                    local.execute(_TAKE_PRODUCT, product_row(p))
                    taken += 1
                    after = audit.covers(local, "product", audit.product_ids(local, [p.sku]))["covers"]["product"]
                    if after != before:  # the till's own edit coming back, unchanged, is no change
                        touched.update(int(key) for key in after)
                _keep_aside(local, aside)
                if touched:  # the products as taken from the shop, in the same transaction
                    till = stored_value(local, "till_id") or "T1"
                    covered = audit.covers(local, "product", sorted(touched))
                    audit.append(local, till, "products_from_shop", f"{len(touched)} products", covered, actor="")
                store_value(local, "shop_products_version", str(found[-1]["version"]))

    def _pull_settings(self) -> tuple[int, list[str]]:
        with core.reading(self._local) as local:
            since = int(stored_value(local, "shop_settings_version") or 0)
        with self._shop.connect() as conn:
            found = (
                conn.execute(select(t.SETTINGS).where(t.SETTINGS.c.version > since).order_by(t.SETTINGS.c.version))
                .mappings()
                .all()
            )
        if not found:
            return 0, []
        skipped: list[str] = []
        changed: dict[str, Any] = {}
        current = self._settings.load()
        with core.writing(self._local) as local:
            pending = self._pending(local, "setting")
            aside = _set_aside(local)
            for s in found:
                key, value = s["key"], s["value"]
                if key not in SHOP_WIDE or key in pending:
                    continue
                for past in [k for k in aside if k.startswith(f"setting {key} = ")]:
                    del aside[past]  # a newer value of it: what was set aside is past
                if stored_value(local, key) == value:
                    continue
                if key == "currency":
                    sales = local.execute(_SALES_IN_OTHER_CURRENCY, {"currency": value}).scalar_one()
                    if sales:
                        skipped.append(
                            f"the shop's currency is {value}, but this till has {sales} sale(s) in another one"
                        )
                        continue
                try:
                    decoded = decode_written(key, value)  # as a till writes it: no guess at other text
                    current = setting_from_shop(current, key, decoded)
                except SettingsError as exc:
                    aside[f"setting {key} = {value!r}"] = str(exc).rstrip(".")
                    continue
                except ValueError:  # not its type (a whole number, yes or no)
                    aside[f"setting {key} = {value!r}"] = "not a value this setting takes"
                    continue
                store_value(local, key, value)
                changed[key] = decoded
            _keep_aside(local, aside)
            if changed:
                till = stored_value(local, "till_id") or "T1"
                covered = audit.covers(local, "setting", list(changed))
                audit.append(local, till, "settings_from_shop", "store settings", {**changed, **covered}, actor="")
            store_value(local, "shop_settings_version", str(found[-1]["version"]))
        self._settings.forget()
        return len(changed), skipped

    def claims(self) -> ShopRefundClaims:
        """The refunds' claims at the shop, on this link's engines (services.refunds.RefundClaims)."""
        return ShopRefundClaims(self._local, self._shop, self._ready, self.install_id, self._till_id, self._shared)

    def gift_cards(self) -> ShopGiftCards:
        """The shop's gift card ledger, on this link's engine (services.giftcards.GiftCardLedger)."""
        return ShopGiftCards(self._shop, self._ready, self._till_id)

    # -- another till's receipt ------------------------------------------------------------------
    def copy_receipt(self, till_id: str, receipt_no: int) -> int | None:
        from .copies import copy_receipt

        with shop_errors():
            self._ready()
        return copy_receipt(self._local, self._shop, self._till_id(), till_id, receipt_no)

    def search(self, found: Criterion, time_zone: str, limit: int) -> list[ReceiptSummary]:
        from .search import search

        with shop_errors():
            self._ready()
        return search(self._shop, found, time_zone, limit)

    # -- what is waiting ------------------------------------------------------------------------
    def waiting(self) -> Waiting:
        with core.reading(self._local) as local:
            acked = int(stored_value(local, "shop_acked_seq") or 0)
            sent = int(stored_value(local, "shop_outbox_sent") or 0)
            counts = {record: n for record, n in local.execute(_WAITING_BY_RECORD, {"acked": acked})}
            events = local.execute(_EVENTS_WAITING, {"acked": acked}).scalar_one()
            edits = local.execute(_EDITS_WAITING, {"sent": sent}).scalar_one()
        return Waiting(events, counts.get("receipt", 0), counts.get("refund", 0), edits)


@contextmanager
def _refusals():
    """A record the shop's own checks refuse (a key, a NOT NULL, a CHECK, a value out of its
    column's range: a shop database edited by hand, a till of another version) is the shop refusing
    this till's records, in one line naming the check, not a bug to raise: the round's transaction
    is rolled back (nothing of the batch is kept) and every round says it until the shop takes the
    records."""
    try:
        yield
    except (IntegrityError, DataError) as exc:  # DataError: a value its column cannot hold (out of range)
        diag = getattr(exc.orig, "diag", None)
        said = getattr(diag, "message_primary", None) or str(exc.orig).splitlines()[0]
        raise ShopRefused(
            f"the shop database refused this till's records ({printable(said)[:160]}). Nothing of the batch was "
            "stored; it waits here. Call support to look at the shop database's checks"
        ) from None


def _refunded_already(conn: Connection, receipts: list[tuple[Any, ...]]) -> set[tuple[str, int]]:
    """The receipts just stored that the shop has refunds of already (refunded at another till while
    this one had not sent them): only those can be over-refunded by their arrival."""
    numbers: dict[str, set[int]] = {}
    for r in receipts:
        numbers.setdefault(r[0], set()).add(r[1])
    found: set[tuple[str, int]] = set()
    for till, nos in numbers.items():
        refunded = conn.execute(
            select(t.REFUNDS.c.receipt_no)
            .where(t.REFUNDS.c.receipt_till_id == till, t.REFUNDS.c.receipt_no.between(min(nos), max(nos)))
            .distinct()
        ).scalars()
        found.update((till, no) for no in refunded if no in nos)
    return found


def _set_aside(local: Connection) -> dict[str, str]:
    """Rows from the shop this till would not take, and why (kept until a newer version of the row comes)."""
    return dict(json.loads(stored_value(local, "shop_set_aside") or "{}"))


def _keep_aside(local: Connection, aside: dict[str, str]) -> None:
    store_value(local, "shop_set_aside", json.dumps(aside, sort_keys=True))


def _taken_by_another(conn: Connection, till_id: str, install: str) -> bool:
    """Another data folder answers to this till id, or wrote records under it once (a till renamed
    after a Z leaves its old numbers behind: a new till taking the id would number over them)."""
    owner = conn.execute(select(t.TILLS.c.install_id).where(t.TILLS.c.till_id == till_id)).scalar()
    if owner is not None:
        return bool(owner != install)
    used = conn.execute(
        select(t.EVENTS.c.install_id)
        .where((t.EVENTS.c.till_id == till_id) & (t.EVENTS.c.install_id != install))
        .limit(1)
    ).scalar()
    return used is not None


def _taken(till_id: str) -> str:
    return (
        f"till id {till_id} is already used by another till of this shop. Give this till its own id with "
        "`pos settings set till_id T2` (after a Z report)"
    )


__all__ = ["ShopDatabaseLink"]

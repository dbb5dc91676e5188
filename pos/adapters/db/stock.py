"""The stock ledger in the till's SQLite (services.stock.StockStore).

Every movement is one row of `stock_movements`, written with its audit event in the caller's
transaction, and adds itself to its product's snapshot in `stock_levels` (the sum through that
row) in that transaction, so on-hand is one row to read however long the ledger grows, and the
low-stock list an index range (`drift` checks the snapshot against the ledger's sum). A sale's
movements are written by the journal in the transaction that writes its receipt (`sale_moved`), a
refund's in the one that numbers it (`refund_moved`): a crash never leaves one without the other.
Reads and writes are SQLAlchemy Core statements (decision 0010), built once at module level.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, func, insert, literal_column, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from pos.domain.stock import (
    Level,
    Movement,
    MovementKind,
    StockError,
    StockItem,
    Unit,
    Variance,
    check_direction,
    format_quantity,
)

from . import audit, core
from . import compiled as cx
from .errors import storage_errors
from .raw import now_iso
from .receipts import local_day_bounds, store_zone
from . import schema as tables

_P, _I, _M, _L = tables.products, tables.stock_items, tables.stock_movements, tables.stock_levels
# Built once: a scan reads it, and building the statement cost more than running it.
_ITEM = select(_I).join(_P, _P.c.id == _I.c.product_id).where(_P.c.sku == bindparam("sku"))


@dataclass(frozen=True)
class Move:
    """A movement to write: product, kind, signed thousandths, and what it is about."""

    product_id: int
    kind: MovementKind
    quantity_milli: int
    why: str = ""
    cost_minor: int | None = None
    sale_id: int | None = None
    refund_id: int | None = None
    # Another till's movement taken down from the shop database: its till, person and time.
    till_id: str | None = None
    who: str | None = None
    at: str | None = None
    approved_by: str | None = None


_MOVE = insert(_M)
_ADD_TO_LEVEL = (
    sqlite_insert(_L)
    .values(
        product_id=bindparam("product_id"),
        on_hand_milli=bindparam("quantity_milli"),
        through_id=bindparam("movement_id"),
        last_cost_minor=bindparam("cost_minor"),
    )
    .on_conflict_do_update(
        index_elements=[_L.c.product_id],
        set_={
            "on_hand_milli": _L.c.on_hand_milli + literal_column("excluded.on_hand_milli"),
            "through_id": literal_column("excluded.through_id"),
            "last_cost_minor": func.coalesce(literal_column("excluded.last_cost_minor"), _L.c.last_cost_minor),
        },
    )
)


def write_moves(conn: Connection, moves: Iterable[Move], subject: str, *, approved_by: str = "") -> list[int]:
    """Append movements in the caller's write transaction, each added to its product's snapshot, all
    covered by one audit event. Returns their ids."""
    till_id = audit.till_of(conn)
    who, at = audit.current_actor(), now_iso()
    ids = []
    for move in moves:
        check_direction(move.kind, move.quantity_milli)
        movement_id = conn.execute(
            _MOVE,
            {
                "product_id": move.product_id,
                "kind": move.kind.value,
                "quantity_milli": move.quantity_milli,
                "cost_minor": move.cost_minor,
                "at": move.at or at,
                "till_id": move.till_id or till_id,
                "who": who if move.who is None else move.who,
                "approved_by": approved_by if move.approved_by is None else move.approved_by,
                "why": move.why,
                "sale_id": move.sale_id,
                "refund_id": move.refund_id,
            },
        ).lastrowid
        # The snapshot moves with its ledger, in the same transaction.
        conn.execute(
            _ADD_TO_LEVEL,
            {
                "product_id": move.product_id,
                "quantity_milli": move.quantity_milli,
                "movement_id": movement_id,
                "cost_minor": move.cost_minor,
            },
        )
        ids.append(movement_id)
    if ids:
        records = {str(i): audit.digest(audit.row_record(conn, "stock_movements", i)) for i in ids}
        payload = {"form": audit.FORM, "records": {"stock_movement": records}}
        audit.append(conn, till_id, "stock_moved", subject, payload, approved_by=approved_by)
    return ids


_S, _RL, _R, _C = tables.sale_lines, tables.refund_lines, tables.refunds, tables.receipts
_SOLD = (
    select(_S.c.product_id, _S.c.quantity * func.coalesce(_S.c.measure_milli, 1000))
    .join(_I, _I.c.product_id == _S.c.product_id)
    .where(_S.c.sale_id == bindparam("sale_id"), _I.c.track_stock)
    .order_by(_S.c.line_no)
)
_RUN_SOLD = cx.Statement(_SOLD)  # on the payment path: compiled.py
_RETURNED = (
    select(_S.c.product_id, _RL.c.quantity * func.coalesce(_S.c.measure_milli, 1000), _RL.c.to_stock, _I.c.unit)
    .select_from(_RL)
    .join(_R, _R.c.id == _RL.c.refund_id)
    .join(_C, _C.c.id == _R.c.receipt_id)
    .join(_S, (_S.c.sale_id == _C.c.sale_id) & (_S.c.line_no == _RL.c.line_no))
    .join(_I, _I.c.product_id == _S.c.product_id)
    .where(_RL.c.refund_id == bindparam("refund_id"), _I.c.track_stock)
    .order_by(_RL.c.line_no)
)


def sale_moved(conn: Connection, sale_id: int, receipt: str) -> None:
    """A paid sale takes its tracked lines off the shelf (in the receipt's transaction)."""
    rows = cx.rows(conn, _RUN_SOLD, sale_id=sale_id)
    if not rows:
        return  # nothing tracked was sold: nothing to write (write_moves would still read the till id)
    moves = [Move(pid, MovementKind.SALE, -milli, f"receipt {receipt}", sale_id=sale_id) for pid, milli in rows]
    write_moves(conn, moves, f"stock sold on receipt {receipt}")


def refund_moved(conn: Connection, refund_id: int, refund: str) -> None:
    """A refund's returned lines: back on the shelf, or written off (recorded, moving nothing), as
    the cashier chose for each line (in the transaction that numbers the refund)."""
    rows = conn.execute(_RETURNED, {"refund_id": refund_id}).all()
    moves = [
        Move(pid, MovementKind.REFUND, milli, f"refund {refund}", refund_id=refund_id)
        if back
        else Move(
            pid,
            MovementKind.WRITE_OFF,
            0,
            f"refund {refund}: {format_quantity(milli, Unit(unit))} {unit} written off",
            refund_id=refund_id,
        )
        for pid, milli, back, unit in rows
        if milli
    ]
    write_moves(conn, moves, f"stock returned by refund {refund}")


_ID_OF = select(_P.c.id).where(_P.c.sku == bindparam("sku"))


def _ids(conn: Connection, skus: Iterable[str]) -> dict[str, int]:
    found = {}
    for sku in dict.fromkeys(skus):
        product_id = conn.execute(_ID_OF, {"sku": sku}).scalar()
        if product_id is None:
            raise StockError(f"no product has SKU {sku}")
        found[sku] = product_id
    return found


_ITEM_RULES = ("track_stock", "unit", "low_stock_milli", "open_price")
_SET_ITEM = (
    sqlite_insert(_I)
    .values(
        product_id=bindparam("product_id"),
        track_stock=bindparam("track_stock"),
        unit=bindparam("unit"),
        low_stock_milli=bindparam("low_stock_milli"),
        open_price=bindparam("open_price"),
    )
    .on_conflict_do_update(
        index_elements=[_I.c.product_id],
        set_={name: literal_column(f"excluded.{name}") for name in _ITEM_RULES},
    )
)
_SET_THRESHOLD = (
    sqlite_insert(_L)
    .values(product_id=bindparam("product_id"), on_hand_milli=0, through_id=0, low_stock_milli=bindparam("threshold"))
    .on_conflict_do_update(
        index_elements=[_L.c.product_id], set_={"low_stock_milli": literal_column("excluded.low_stock_milli")}
    )
)


def write_items(conn: Connection, items: dict[str, StockItem]) -> None:
    """How these products are stocked (an import's or an edit's), with their audit event, in the
    caller's transaction."""
    if not items:
        return
    ids = _ids(conn, items)
    conn.execute(
        _SET_ITEM,
        [
            {
                "product_id": ids[sku],
                "track_stock": item.track_stock,
                "unit": item.unit.value,
                "low_stock_milli": item.low_stock_milli,
                "open_price": item.open_price,
            }
            for sku, item in items.items()
        ],
    )
    # The snapshot row carries the threshold of a tracked product (the low-stock list's index).
    conn.execute(
        _SET_THRESHOLD,
        [
            {"product_id": ids[sku], "threshold": item.low_stock_milli if item.track_stock else None}
            for sku, item in items.items()
        ],
    )
    audit.append(
        conn,
        audit.till_of(conn),
        "stock_items_changed",
        f"how {len(items)} products are stocked",
        audit.covers(conn, "stock_item", list(ids.values())),
    )


_COUNTED = (
    select(func.coalesce(_L.c.on_hand_milli, 0), func.coalesce(_I.c.unit, Unit.EACH.value))
    .select_from(_P.outerjoin(_L, _L.c.product_id == _P.c.id).outerjoin(_I, _I.c.product_id == _P.c.id))
    .where(_P.c.id == bindparam("id"))
)
# Tracked products below their threshold. The index on the snapshot's headroom (schema.py) finds the
# few rows below it; each is then joined to its product by key.
_LOW = (
    select(_P.c.sku, _P.c.name, _I.c.unit, _L.c.on_hand_milli, _I.c.low_stock_milli, _L.c.last_cost_minor)
    .select_from(_L.join(_I, _I.c.product_id == _L.c.product_id).join(_P, _P.c.id == _L.c.product_id))
    .where(_L.c.low_stock_milli.is_not(None), _L.c.on_hand_milli - _L.c.low_stock_milli < 0, _I.c.track_stock)
    .order_by(_P.c.sku)
)


def _level(row) -> Level:
    return Level(row.sku, row.name, Unit(row.unit), int(row.on_hand), row.low_stock_milli, row.last_cost_minor)


class TillStock:
    """This till's stock ledger."""

    def __init__(self, engine: Engine, zone: Callable[[], str] = lambda: ""):
        self._engine = engine
        self._zone = zone  # the store's time zone: the days a movements report covers are its days

    # -- reads ---------------------------------------------------------------------------------
    def _levels(self):
        return (
            select(
                _P.c.sku,
                _P.c.name,
                _I.c.unit,
                func.coalesce(_L.c.on_hand_milli, 0).label("on_hand"),
                _I.c.low_stock_milli,
                _L.c.last_cost_minor,
            )
            .select_from(_I.join(_P, _P.c.id == _I.c.product_id).outerjoin(_L, _L.c.product_id == _I.c.product_id))
            .where(_I.c.track_stock)
        )

    def levels(self) -> list[Level]:
        with storage_errors(), self._engine.connect() as conn:
            return [_level(r) for r in conn.execute(self._levels().order_by(_P.c.sku))]

    def level(self, sku: str) -> Level | None:
        with storage_errors(), self._engine.connect() as conn:
            row = conn.execute(self._levels().where(_P.c.sku == sku)).first()
            return _level(row) if row is not None else None

    def low_stock(self) -> list[Level]:
        """Tracked products below their threshold (the alert list and the reorder list): the
        snapshot's index finds them without reading the rest."""
        with core.reading(self._engine) as conn:
            return [Level(r[0], r[1], Unit(r[2]), r[3], r[4], r[5]) for r in conn.execute(_LOW)]

    def drift(self) -> list[tuple[str, int, int]]:
        """Products whose snapshot is not the ledger's sum: (sku, snapshot, sum). Empty while every
        movement is written through `write_moves`; `pos audit verify` checks the same."""
        with core.reading(self._engine) as conn:
            return audit.stock_drift(conn)

    def item(self, sku: str) -> StockItem | None:
        """The product's stock settings (read at each scan: what adding it asks)."""
        with storage_errors(), self._engine.connect() as conn:
            row = conn.execute(_ITEM, {"sku": sku}).first()
        if row is None:
            return None
        return StockItem(bool(row.track_stock), Unit(row.unit), row.low_stock_milli, bool(row.open_price))

    def movements(self, first: date | None = None, last: date | None = None) -> list[Movement]:
        """The ledger, oldest first; of the store's days `first` to `last` (either open)."""
        query = (
            select(_M, _P.c.sku, func.coalesce(_I.c.unit, Unit.EACH.value).label("unit"))
            .join(_P, _P.c.id == _M.c.product_id)
            .outerjoin(_I, _I.c.product_id == _M.c.product_id)
            .order_by(_M.c.id)
        )
        zone = store_zone(self._zone())
        if first:
            query = query.where(_M.c.at >= local_day_bounds(first, first, zone)[0])
        if last:
            query = query.where(_M.c.at < local_day_bounds(last, last, zone)[1])
        with storage_errors(), self._engine.connect() as conn:
            return [
                Movement(
                    r.id,
                    r.sku,
                    MovementKind(r.kind),
                    r.quantity_milli,
                    Unit(r.unit),
                    r.at,
                    r.who,
                    r.why,
                    r.cost_minor,
                )
                for r in conn.execute(query)
            ]

    # -- writes --------------------------------------------------------------------------------
    def set_items(self, items: dict[str, StockItem]) -> None:
        with core.writing(self._engine) as conn:
            write_items(conn, items)

    def move(
        self, lines: list[tuple[str, MovementKind, int, int | None, str]], subject: str, *, approved_by: str = ""
    ) -> list[int]:
        """Movements by SKU: (sku, kind, signed thousandths, cost per unit, why), in one transaction."""
        with core.writing(self._engine) as conn:
            ids = _ids(conn, (sku for sku, *_ in lines))
            moves = [Move(ids[sku], kind, milli, why, cost) for sku, kind, milli, cost, why in lines]
            return write_moves(conn, moves, subject, approved_by=approved_by)

    def count(self, counted: dict[str, int], *, approved_by: str, apply: bool) -> list[Variance]:
        """The counted lines against the ledger, read and (if `apply`) adjusted in one transaction, so
        a sale in between cannot be counted twice."""
        with core.writing(self._engine) as conn:
            ids = _ids(conn, counted)
            out = []
            for sku, pid in ids.items():
                row = conn.execute(_COUNTED, {"id": pid}).one()
                out.append(Variance(sku, Unit(row[1]), int(row[0]), counted[sku]))
            if apply:
                moves = [
                    Move(ids[v.sku], MovementKind.COUNT, v.difference_milli, "count") for v in out if v.difference_milli
                ]
                write_moves(conn, moves, f"stock count of {len(out)} products", approved_by=approved_by)
            return out

"""Stock follows every sale (issue 26): a paid sale's tracked lines leave the shelf in its receipt's
transaction, a refund puts them back or writes them off as the cashier chose per line, deliveries and
counts move it, and on-hand (the snapshot) always equals the ledger's sum and the movements report.
The real Stripe adapter over HTTP against the sandbox (cash sales never call it), a real SQLite file."""

from __future__ import annotations

import sqlite3

from hypothesis import HealthCheck, given, settings, strategies as st

from pos.adapters.db.audit import AuditRepo
from pos.adapters.db.receipts import ReceiptsRepo
from pos.adapters.db.refunds import SqlRefunds
from pos.adapters.db.stock import TillStock
from pos.domain.money import Money
from pos.domain.stock import MovementKind, StockItem, Unit
from pos.services.refunds import Refunded, Refunds
from pos.services.stock import Stock


def sgd(minor: int) -> Money:
    return Money(minor, "SGD")


def stock_of(shop) -> Stock:
    return Stock(TillStock(shop.engine), lambda: "SGD")


def cash_sale(shop, product, quantity: int) -> int:
    shop.till.new_sale()
    shop.cart_of((product, quantity))
    receipt = shop.till.pay_cash(sgd(product.price.minor * quantity)).receipt
    return ReceiptsRepo(shop.engine).receipt_id_for(receipt.receipt_no, "T1")


def refund(shop, receipt_id: int, quantity: int, *, to_stock: bool):
    refunds = Refunds(SqlRefunds(shop.engine, shop.settings), shop.gateway, cash_rounding=lambda: "")
    given = refunds.refund(receipt_id, lines={1: quantity}, written_off=frozenset() if to_stock else frozenset({1}))
    assert isinstance(given, Refunded), given


def ledger_sum(shop, sku: str) -> int:
    conn = sqlite3.connect(shop.data_dir / "pos.sqlite3")
    try:
        return conn.execute(
            "SELECT coalesce(sum(m.quantity_milli), 0) FROM stock_movements m JOIN products p ON p.id = m.product_id"
            " WHERE p.sku = ?",
            (sku,),
        ).fetchone()[0]
    finally:
        conn.close()


def test_a_sale_lowers_on_hand_a_refund_to_stock_raises_it_and_a_write_off_does_not(shop):
    stock = stock_of(shop)
    stock.set_item("LAT", StockItem(track_stock=True, low_stock_milli=5000))
    stock.receive("LAT", "10", "1.20")
    receipt_id = cash_sale(shop, shop.latte, 3)
    cash_sale(shop, shop.bun, 2)  # BUN does not track stock: it stays as it is
    assert stock.level("LAT").on_hand_milli == 7000  # type: ignore[union-attr]
    assert stock.level("BUN") is None
    refund(shop, receipt_id, 1, to_stock=True)
    assert stock.level("LAT").on_hand_milli == 8000  # type: ignore[union-attr]
    refund(shop, receipt_id, 1, to_stock=False)
    assert stock.level("LAT").on_hand_milli == 8000  # type: ignore[union-attr]
    kinds = [m.kind for m in stock.movements()]
    assert kinds == [MovementKind.DELIVERY, MovementKind.SALE, MovementKind.REFUND, MovementKind.WRITE_OFF]
    assert [m.why for m in stock.movements()][1] == "receipt T1-0001"
    assert stock.value_at_cost() == sgd(8 * 120)
    assert AuditRepo(shop.engine, shop.data_dir).verify() is None  # every movement is in an event


def test_selling_never_blocks_on_stock_and_the_product_shows_negative_and_low(shop):
    stock = stock_of(shop)
    stock.set_item("LAT", StockItem(track_stock=True, low_stock_milli=2000))
    cash_sale(shop, shop.latte, 2)
    level = stock.level("LAT")
    assert level is not None and level.on_hand_milli == -2000 and level.below
    assert [lv.sku for lv in stock.low_stock()] == ["LAT"]


def behind_the_tills_back(shop, sql: str) -> None:
    conn = sqlite3.connect(shop.data_dir / "pos.sqlite3")
    with conn:
        conn.execute(sql)
    conn.close()


def test_a_movement_written_behind_the_tills_back_is_found_by_the_audit(shop):
    stock = stock_of(shop)
    stock.set_item("LAT", StockItem(track_stock=True))
    stock.receive("LAT", "4")
    behind_the_tills_back(shop, "UPDATE stock_movements SET quantity_milli = 40000")
    found = AuditRepo(shop.engine, shop.data_dir).verify()
    assert found is not None and "stock_movement" in found.reason


def test_an_on_hand_changed_behind_the_tills_back_is_found_by_the_audit(shop):
    """Hostile test xc: `UPDATE stock_levels SET on_hand_milli = …` (the snapshot every level reads)
    made 4 read as 54 and `pos audit verify` still said intact: the movements were covered, the
    snapshot was not."""
    stock = stock_of(shop)
    stock.set_item("LAT", StockItem(track_stock=True))
    stock.receive("LAT", "4")
    assert AuditRepo(shop.engine, shop.data_dir).verify() is None
    behind_the_tills_back(shop, "UPDATE stock_levels SET on_hand_milli = on_hand_milli + 50000")
    found = AuditRepo(shop.engine, shop.data_dir).verify()
    assert found is not None and "on-hand of LAT reads 54000 thousandths" in found.reason
    assert "add up to 4000" in found.reason


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("sale"), st.integers(1, 3)),
        st.tuples(st.just("refund"), st.integers(1, 3), st.booleans()),
        st.tuples(st.just("void"), st.integers(1, 3)),
        st.tuples(st.just("delivery"), st.integers(1, 20)),
        st.tuples(st.just("count"), st.integers(0, 30)),
        st.tuples(st.just("waste"), st.integers(1, 2)),
    ),
    max_size=8,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_on_hand_is_the_ledgers_sum_for_any_sequence(shop, ops):
    """Random sales, refunds (to stock or written off), voids, deliveries, counts and waste: on-hand
    (snapshot) equals the model, the ledger's sum and the movements report's."""
    stock = stock_of(shop)
    stock.set_item("LAT", StockItem(track_stock=True, unit=Unit.EACH))
    expected = stock.level("LAT").on_hand_milli  # type: ignore[union-attr]
    sold: list[tuple[int, int]] = []  # receipt id, units left to refund
    for op in ops:
        if op[0] == "sale":
            sold.append((cash_sale(shop, shop.latte, op[1]), op[1]))
            expected -= op[1] * 1000
        elif op[0] == "refund" and sold:
            receipt_id, left = sold.pop()
            units = min(op[1], left)
            refund(shop, receipt_id, units, to_stock=op[2])
            expected += units * 1000 if op[2] else 0
            if left > units:
                sold.append((receipt_id, left - units))
        elif op[0] == "void":  # a line rung up and voided before it was paid: nothing left the shelf
            shop.till.new_sale()
            shop.cart_of((shop.latte, op[1]))
            shop.till.cart.clear()
        elif op[0] == "delivery":
            stock.receive("LAT", str(op[1]))
            expected += op[1] * 1000
        elif op[0] == "count":
            stock.count({"LAT": op[1] * 1000}, approved_by="Mara")
            expected = op[1] * 1000
        elif op[0] == "waste":
            stock.waste("LAT", str(op[1]), "dropped")
            expected -= op[1] * 1000
    on_hand = stock.level("LAT").on_hand_milli  # type: ignore[union-attr]
    report = sum(m.quantity_milli for m in stock.movements() if m.sku == "LAT")
    assert on_hand == expected == ledger_sum(shop, "LAT") == report
    assert TillStock(shop.engine).drift() == []  # every product's snapshot is its ledger's sum


def test_the_low_stock_list_reads_the_snapshots_index_not_every_product(shop):
    stock = stock_of(shop)
    stock.set_item("LAT", StockItem(track_stock=True, low_stock_milli=3000))
    stock.set_item("BUN", StockItem(track_stock=True, low_stock_milli=1000))
    stock.receive("BUN", "5")
    assert [lv.sku for lv in stock.low_stock()] == ["LAT"]  # never delivered: 0 is below 3
    conn = sqlite3.connect(shop.data_dir / "pos.sqlite3")
    try:
        plan = conn.execute(
            "EXPLAIN QUERY PLAN SELECT product_id FROM stock_levels"
            " WHERE low_stock_milli IS NOT NULL AND on_hand_milli - low_stock_milli < 0"
        ).fetchall()
    finally:
        conn.close()
    assert "ix_stock_levels_headroom" in str(plan)
    stock.set_item("LAT", StockItem(track_stock=False, low_stock_milli=3000))  # no longer tracked: no alert
    assert stock.low_stock() == []


def test_a_sale_whose_movement_cannot_be_written_has_no_receipt_either(shop):
    """The movement is written in the receipt's transaction: when it fails (a trigger stands in for a
    disk that fails at that moment), the receipt is not there either, and the sale can be paid again."""
    stock = stock_of(shop)
    stock.set_item("LAT", StockItem(track_stock=True))
    conn = sqlite3.connect(shop.data_dir / "pos.sqlite3")
    with conn:
        conn.execute(
            "CREATE TRIGGER fail_stock BEFORE INSERT ON stock_movements BEGIN SELECT RAISE(ABORT, 'disk'); END"
        )
    shop.till.new_sale()
    shop.cart_of((shop.latte, 1))
    result = shop.till.pay_cash(sgd(580))
    assert getattr(result, "receipt", None) is None
    assert conn.execute("SELECT count(*) FROM receipts").fetchone()[0] == 0
    with conn:
        conn.execute("DROP TRIGGER fail_stock")
    conn.close()
    assert shop.till.pay_cash(sgd(580)).receipt is not None  # type: ignore[union-attr]
    assert stock.level("LAT").on_hand_milli == -1000  # type: ignore[union-attr]


KG_OPS = st.lists(
    st.tuples(st.sampled_from(["delivery", "count", "waste"]), st.integers(1, 99_999)),
    max_size=10,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=KG_OPS)
def test_kg_quantities_stay_exact_to_the_gram(shop, ops):
    """Deliveries, counts and waste of a product sold by the kg, typed with three decimals: on-hand
    is exact (no float anywhere) and equals the ledger's sum."""
    stock = stock_of(shop)
    stock.set_item("BUN", StockItem(track_stock=True, unit=Unit.KG))
    expected = stock.level("BUN").on_hand_milli  # type: ignore[union-attr]
    for kind, grams in ops:
        text = f"{grams // 1000}.{grams % 1000:03d}"
        if kind == "delivery":
            stock.receive("BUN", text)
            expected += grams
        elif kind == "count":
            stock.count({"BUN": stock.counted_quantity("BUN", text)}, approved_by="Mara")
            expected = grams
        else:
            stock.waste("BUN", text, "spoiled")
            expected -= grams
    level = stock.level("BUN")
    assert level is not None and level.on_hand_milli == expected == ledger_sum(shop, "BUN")
    assert TillStock(shop.engine).drift() == []

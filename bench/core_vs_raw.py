"""What SQLAlchemy Core costs over plain sqlite3 on a card sale's writes, on the till's own engine.

One round is the journal's writes for a two-line card sale, as four transactions (BEGIN IMMEDIATE,
synchronous=FULL, each one commit): the sale and its lines; the intent's id; the confirm attempt;
the attempt's result, the sale paid, the receipt and its tender. Written once with plain SQL on the
pooled sqlite3 connection (bench/plain.py: as adapters/db/journal.py did until it moved to Core) and
once with Core statements built at module level over the same tables (as the journal does now, and
every module by decision 0010), interleaved against the same file. Only the statements differ; the
fsyncs are the same.

    python bench/core_vs_raw.py [--rounds 300]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import bindparam, insert, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pos.adapters.db import core  # noqa: E402
from pos.adapters.db import schema as tables  # noqa: E402
from pos.adapters.db.storage import open_engine  # noqa: E402
from plain import write as plain_write  # noqa: E402
from stats import p50_p95  # noqa: E402

NOW = "2026-12-06T00:00:00.000000+00:00"
SALE = dict(
    till_id="T1",
    state="started",
    currency="SGD",
    total_minor=1030,
    tax_minor=85,
    subtotal_minor=1030,
    tax_inclusive=True,
    create_params="{}",
    cart_discount_minor=0,
    created_at=NOW,
    updated_at=NOW,
)
LINE = dict(
    product_id=None,
    sku="L",
    name="Latte",
    quantity=1,
    unit_price_minor=580,
    tax_rate_bp=900,
    net_minor=532,
    tax_minor=48,
    gross_minor=580,
    line_discount_minor=0,
    cart_share_minor=0,
)
_SALE = insert(tables.sales)
_LINE = insert(tables.sale_lines)
_SALE_SET = update(tables.sales).where(tables.sales.c.id == bindparam("sid"))
_ATTEMPT = insert(tables.card_attempts)
_ATTEMPT_SET = update(tables.card_attempts).where(tables.card_attempts.c.id == bindparam("aid"))
_RECEIPT = insert(tables.receipts)
_TENDER = insert(tables.tenders)


def with_core(engine, i: int) -> None:
    key = f"core-{i}"
    with core.writing(engine) as conn:
        sid = conn.execute(_SALE, {**SALE, "sale_key": key}).lastrowid
        conn.execute(_LINE, [{**LINE, "sale_id": sid, "line_no": n} for n in (1, 2)])
    with core.writing(engine) as conn:
        conn.execute(_SALE_SET, {"sid": sid, "payment_intent": f"pi_{key}", "state": "intent_created"})
    with core.writing(engine) as conn:
        aid = conn.execute(
            _ATTEMPT,
            {
                "sale_id": sid,
                "attempt_no": 1,
                "payment_method": "pm_card_visa",
                "idempotency_key": key,
                "params": "{}",
                "state": "sent",
                "created_at": NOW,
                "updated_at": NOW,
            },
        ).lastrowid
        conn.execute(_SALE_SET, {"sid": sid, "state": "confirm_sent", "updated_at": NOW})
    with core.writing(engine) as conn:
        conn.execute(_ATTEMPT_SET, {"aid": aid, "state": "succeeded", "charge_id": f"ch_{key}", "updated_at": NOW})
        conn.execute(_SALE_SET, {"sid": sid, "state": "paid", "updated_at": NOW})
        conn.execute(
            _RECEIPT,
            {
                "till_id": "T1",
                "receipt_no": 1_000_000 + i,
                "sale_id": sid,
                "created_at": NOW,
                "currency": "SGD",
                "total_minor": 1030,
                "tax_minor": 85,
                "payment_intent": f"pi_{key}",
                "card_minor": 1030,
            },
        )
        conn.execute(
            _TENDER,
            {
                "sale_id": sid,
                "part_no": 1,
                "kind": "card",
                "state": "paid",
                "currency": "SGD",
                "amount_minor": 1030,
                "tendered_minor": 1030,
                "payment_intent": f"pi_{key}",
                "created_at": NOW,
                "updated_at": NOW,
            },
        )


def with_raw(engine, i: int) -> None:
    key = f"raw-{i}"
    sale_cols = ", ".join(["sale_key", *SALE])
    line_cols = ", ".join(["sale_id", "line_no", *LINE])
    with plain_write(engine) as conn:
        sid = conn.execute(
            f"INSERT INTO sales ({sale_cols}) VALUES ({', '.join('?' * (len(SALE) + 1))})",  # noqa: S608
            (key, *SALE.values()),
        ).lastrowid
        conn.executemany(
            f"INSERT INTO sale_lines ({line_cols}) VALUES ({', '.join('?' * (len(LINE) + 2))})",  # noqa: S608
            [(sid, n, *LINE.values()) for n in (1, 2)],
        )
    with plain_write(engine) as conn:
        conn.execute(
            "UPDATE sales SET payment_intent = ?, state = ? WHERE id = ?", (f"pi_{key}", "intent_created", sid)
        )
    with plain_write(engine) as conn:
        aid = conn.execute(
            "INSERT INTO card_attempts (sale_id, attempt_no, payment_method, idempotency_key, params, state,"
            " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
            (sid, 1, "pm_card_visa", key, "{}", "sent", NOW, NOW),
        ).lastrowid
        conn.execute("UPDATE sales SET state = ?, updated_at = ? WHERE id = ?", ("confirm_sent", NOW, sid))
    with plain_write(engine) as conn:
        conn.execute(
            "UPDATE card_attempts SET state = ?, charge_id = ?, updated_at = ? WHERE id = ?",
            ("succeeded", f"ch_{key}", NOW, aid),
        )
        conn.execute("UPDATE sales SET state = ?, updated_at = ? WHERE id = ?", ("paid", NOW, sid))
        conn.execute(
            "INSERT INTO receipts (till_id, receipt_no, sale_id, created_at, currency, total_minor, tax_minor,"
            " payment_intent, status, refunded_minor, discount_minor, card_minor, cash_minor, change_minor,"
            " rounding_minor, cashier) VALUES (?,?,?,?,?,?,?,?,'paid',0,0,?,0,0,0,'')",
            ("T1", 2_000_000 + i, sid, NOW, "SGD", 1030, 85, f"pi_{key}", 1030),
        )
        conn.execute(
            "INSERT INTO tenders (sale_id, part_no, kind, state, currency, amount_minor, tendered_minor,"
            " change_minor, rounding_minor, payment_intent, created_at, updated_at) VALUES (?,?,?,?,?,?,?,0,0,?,?,?)",
            (sid, 1, "card", "paid", "SGD", 1030, 1030, f"pi_{key}", NOW, NOW),
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_engine(Path(tmp) / "till")
        for i in range(20):  # warm up: Core compiles each statement once, then takes it from its cache
            with_core(engine, -1 - i)
            with_raw(engine, -1 - i)
        core_ms, raw_ms = [], []
        for i in range(args.rounds):  # interleaved, so drift on the machine hits both alike
            t0 = time.perf_counter()
            with_core(engine, i)
            t1 = time.perf_counter()
            with_raw(engine, i)
            t2 = time.perf_counter()
            core_ms.append((t1 - t0) * 1000)
            raw_ms.append((t2 - t1) * 1000)
        engine.dispose()
    (c50, c95), (r50, r95) = p50_p95(core_ms), p50_p95(raw_ms)
    print(f"a card sale's journal writes (4 transactions, synchronous=FULL), {args.rounds} rounds")
    print(f"{'statements':24} {'median ms':>10} {'p95 ms':>8}")
    print(f"{'plain sqlite3':24} {r50:>10.2f} {r95:>8.2f}")
    print(f"{'SQLAlchemy Core':24} {c50:>10.2f} {c95:>8.2f}")
    print(f"Core over plain: +{c50 - r50:.2f} ms a sale (median), x{c50 / r50:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

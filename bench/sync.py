"""Sync throughput into one PostgreSQL, and the shop report at a million receipts.

Three tills join a real, throwaway PostgreSQL cluster's shop database (tests/helpers/pg.py), as a
shop's tills have before a day's trade (the first brings its catalog and settings, the others take
them), then each sells RECEIPTS cash sales on its own SQLite (the app's own wiring) offline. Timed:
all three sync the day at once (a process each, as three machines would), each process warm as a
running till's background sync is (imported, opened, its status asked and a pull done): receipts
per second, with every receipt's lines, tenders and audit event, against a bare binary COPY of the
rows that round stored (the floor). Printed too: the same tills' FIRST round into an empty shop
database (joining it, sending the catalog and settings, in fresh processes), against the same floor.
Then the shop database is filled to 1,000,000 receipts (generated in SQL over 100 days, with a line
and a tender each) and the shop report for one day is timed against the single-till report
(`pos report`'s query on one till's SQLite) in the same run.

    python bench/sync.py [--receipts 10000] [--total 1000000] [--rounds 5] [--history N]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pos.adapters.shop.connect import CA_FILE, migrate, open_shop_engine  # noqa: E402
from pos.adapters.shop.figures import refill_all  # noqa: E402
from pos.app import build_context, open_back_office  # noqa: E402
from pos.domain.catalog import Product  # noqa: E402
from pos.domain.money import Money  # noqa: E402
from tests.helpers.pg import PgServer  # noqa: E402
from tests.helpers.shop import name_till, trust_shop_ca  # noqa: E402

TILLS = ("T1", "T2", "T3")
# What a synced receipt is made of at the shop: the floor copies these tables' rows, nothing else.
FLOOR_TABLES = ("shop_events", "shop_receipts", "shop_receipt_lines", "shop_tenders")


def at_once(work, each) -> float:
    """Seconds for `work` on every one of `each` at once, a thread each (as separate machines would)."""
    begun = time.perf_counter()
    threads = [threading.Thread(target=work, args=(one,)) for one in each]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - begun


def copy_floor(
    server: PgServer, synced: str, receipts: int, events_before: dict[str, int], history: int = 0
) -> tuple[float, float]:
    """Seconds, and the server's CPU seconds, for a bare COPY of the rows the timed round stored
    (events above `events_before`'s, receipts, lines, tenders) into an empty shop database of the
    same layout on the same server, three tills at once as the sync ran: the least a sync of these
    rows can cost here (the rows already in memory: no reading the tills, no checks, no
    acknowledgement). `history`: the floor's database holds as many earlier receipts as the synced
    one did before its round (--history)."""
    import psycopg

    held: dict[str, list[tuple[str, bytes]]] = {till: [] for till in TILLS}
    with psycopg.connect(host=str(server.root), port=server.port, user="postgres", dbname=synced) as conn:
        for table in FLOOR_TABLES:
            for till in TILLS:
                data = bytearray()
                newer = f" AND seq > {events_before[till]}" if table == "shop_events" else ""
                query = f"COPY (SELECT * FROM {table} WHERE till_id = '{till}'{newer}) TO STDOUT (FORMAT binary)"
                with conn.cursor().copy(query) as copy:
                    for block in copy:
                        data += block
                held[till].append((table, bytes(data)))
    floor_url = server.new_database()
    engine = open_shop_engine(floor_url)
    migrate(engine)  # the same layout, indexes and constraints as the synced database
    engine.dispose()
    if history:
        fill_history(server, floor_url, history)
        server.query(floor_url.rsplit("/", 1)[1], "ANALYZE")
    floor = floor_url.rsplit("/", 1)[1]

    def load(till: str) -> None:
        with psycopg.connect(host=str(server.root), port=server.port, user="postgres", dbname=floor) as conn:
            for table, data in held[till]:
                with conn.cursor().copy(f"COPY {table} FROM STDIN (FORMAT binary)") as copy:
                    copy.write(data)

    cpu = server.cpu_seconds()
    seconds = at_once(load, TILLS)
    cpu = server.cpu_seconds() - cpu
    ((copied,),) = server.query(floor, "SELECT count(*) FROM shop_receipts")
    assert copied == receipts + history, copied
    return seconds, cpu


def sync(folder: Path, till_id: str, shop_db: str, warm: bool, ready, out) -> None:
    """One till's process: opened (and, `warm`, as a running till's background sync is: its status
    asked and a pull done, so its imports, connections and the shop's statements are there), then
    one round when every till is ready; (till id, (start, end, CPU seconds)) on `out`, start and end
    on the machine's monotonic clock, the CPU this process spent in the round beside them."""
    context = open_back_office(folder, shop_db)
    context.shop.check_till_id(till_id)  # the first to come migrates the schema (Alembic)
    if warm:
        context.shop.link.waiting()
        context.shop.link.pull()
    ready.wait()
    begun, cpu = time.perf_counter(), time.process_time()
    result = context.shop.round()
    end, cpu = time.perf_counter(), time.process_time() - cpu
    assert result.complete, result.problem
    context.close()
    out.put((till_id, (begun, end, cpu)))


def sync_round(server: PgServer, root: Path, shop_db: str, warm: bool) -> tuple[float, dict, float]:
    """The tills in `root` sync at once, a process each (as three machines would be; threads would
    share one interpreter's lock): the wall seconds from the first round's start to the last one's
    end, each till's (start, end, CPU seconds), and the server's CPU seconds meanwhile."""
    forked = multiprocessing.get_context("fork")
    ready, out = forked.Barrier(len(TILLS) + 1), forked.Queue()
    tills = [forked.Process(target=sync, args=(root / t, t, shop_db, warm, ready, out)) for t in TILLS]
    for process in tills:
        process.start()
    ready.wait()  # every till started: the timed rounds begin together
    server_cpu = server.cpu_seconds()
    results = dict(out.get(timeout=600) for _ in TILLS)
    for process in tills:
        process.join()
        assert process.exitcode == 0, process.exitcode
    # The server's CPU from the rounds' start to the tills' end (their backends reaped): the sync's
    # side at the server, beside the floor's. Also holds the tills' closing.
    server_cpu = server.cpu_seconds() - server_cpu
    wall = max(end for _, end, _ in results.values()) - min(begun for begun, _, _ in results.values())
    return wall, results, server_cpu


def fill_history(server: PgServer, url: str, count: int, after: int = 0) -> None:
    """`count` receipts of earlier days (100 days before today, tills H1-H3, a line each) and their
    quarter hours' figures, into the shop database at `url`: the shop's history, generated in SQL
    (receipt numbers after `after`: those a fill before took)."""
    database = url.rsplit("/", 1)[1]
    server.query(
        database,
        "INSERT INTO shop_receipts (till_id, receipt_no, created_at, currency, total_minor, tax_minor,"
        " discount_minor, card_minor, cash_minor, change_minor, rounding_minor, tips_minor, cashier)"
        " SELECT 'H' || (g %% 3 + 1), g, to_char(now() - ((g %% 100) + 1) * interval '1 day' - (g %% 50000)"
        " * interval '1 second', 'YYYY-MM-DD\"T\"HH24:MI:SS.US+00:00'), 'SGD', 450, 37, 0, 450 * (g %% 2),"
        " 450 * (1 - g %% 2), 0, 0, 0, '' FROM generate_series(%s::int, %s::int) g RETURNING 1",
        after + 1,
        after + count,
    )
    server.query(
        database,
        "INSERT INTO shop_receipt_lines SELECT till_id, receipt_no, 1, 'B-1', 'Bench coffee', 1, 450, 900, 413,"
        " 37, 450, 0, 0 FROM shop_receipts WHERE till_id LIKE 'H%%' AND receipt_no > %s::int RETURNING 1",
        after,
    )
    engine = open_shop_engine(url)
    with engine.begin() as conn:  # their quarter hours' figures, as the migration that adds them fills them
        refill_all(conn)
    engine.dispose()


def pg_tool(server: PgServer, tool: str, *args: str) -> None:
    """pg_dump / pg_restore on the bench's cluster, over its socket (trusted)."""
    command = [str(server.bin / tool), "-h", str(server.root), "-p", str(server.port), "-U", "postgres", *args]
    subprocess.run(command, check=True, capture_output=True)


def sell(folder: Path, till_id: str, count: int, shop_db: str, ca: Path | None) -> None:
    """A till joins the shop (its first round: the first till's catalog and settings go up, a later
    till takes them), then sells `count` cash sales offline (nothing is sent while selling)."""
    name_till(folder, till_id)
    trust_shop_ca(folder, ca)
    context = build_context(folder, api_key="sk_test_bench", stripe_base_url="http://127.0.0.1:9", shop_db=shop_db)
    product = context.catalog.save(
        Product(sku="B-1", name="Bench coffee", category="Bench", price=Money(450, "SGD"), tax_rate_bp=900)
    )
    assert context.shop is not None
    joined = context.shop.round()
    assert joined.complete, joined.problem
    for n in range(count):
        context.till.new_sale()
        context.till.cart.add(product, 1 + n % 3)
        context.till.pay_cash(context.till.amount_due())
    context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receipts", type=int, default=10_000, help="receipts per till")
    parser.add_argument("--total", type=int, default=1_000_000, help="receipts in the shop for the report")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        help="earlier receipts in the shop (and the floor's database) before the timed round: a shop's past days",
    )
    parser.add_argument("--sold", type=Path, help="an earlier run's unsynced tills (its 'kept unsynced' folder)")
    args = parser.parse_args()
    server = PgServer()
    # The tills find the bench server's password where the shop tests' do: its .pgpass file. No
    # keyring is asked (the null backend answers "none kept" without a word): outside a desktop
    # session each till process would log that the keyring could not be read, ten lines among the
    # figures. The app's own fallback is unchanged (connect.stored_password).
    os.environ["PGPASSFILE"] = str(server.pgpass)
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    try:
        root = Path(tempfile.mkdtemp(prefix="pos-bench-sync-"))
        sold = args.sold or root / "sold"
        dump = sold / "shop.dump"  # the shop database as the tills left it when they had joined
        started = time.perf_counter()
        if args.sold:
            if not dump.exists():
                print(f"{args.sold} is not a folder this bench kept (no shop.dump): run it without --sold once")
                return 2
        else:  # each till joins the shop, then sells offline: the shop is not asked while selling
            joined = server.new_database()
            for till_id in TILLS:
                sell(sold / till_id, till_id, args.receipts, joined, server.ca)
            pg_tool(server, "pg_dump", "-Fc", "-f", str(dump), joined.rsplit("/", 1)[1])
        print(f"sold {len(TILLS)} x {args.receipts} cash sales in {time.perf_counter() - started:.1f} s")
        if not args.sold:
            print(f"  (kept unsynced in {sold}: --sold takes them again)")

        def tills(into: Path) -> None:  # the sold tills as they were, trusting this run's server
            for till_id in TILLS:
                shutil.copytree(sold / till_id, into / till_id, ignore=shutil.ignore_patterns(CA_FILE))
                trust_shop_ca(into / till_id, server.ca)  # verified TLS, as the shop tests' tills

        total = len(TILLS) * args.receipts
        # Their first round, into an empty shop database (fresh processes, joining, catalog and
        # settings sent): shown beside the timed one, against the same floor.
        first_db = server.new_database()
        tills(root / "first")
        first_wall, first_results, first_cpu = sync_round(server, root / "first", first_db, warm=False)
        ((stored,),) = server.query(first_db.rsplit("/", 1)[1], "SELECT count(*) FROM shop_receipts")
        assert stored == total, stored

        # The timed round: the tills have joined this shop database (restored as they left it).
        shop_db = server.new_database()
        database = shop_db.rsplit("/", 1)[1]
        pg_tool(server, "pg_restore", "-d", database, str(dump))
        if args.history:  # a shop that has traded before: the round's rows go in among its past days'
            fill_history(server, shop_db, args.history)
        server.query(database, "ANALYZE")
        events_before = dict(server.query(database, "SELECT till_id, max(seq) FROM shop_events GROUP BY till_id"))
        tills(root)
        wall, results, server_cpu = sync_round(server, root, shop_db, warm=True)
        contexts = [open_back_office(root / t, shop_db) for t in TILLS]
        ((stored,),) = server.query(database, "SELECT count(*) FROM shop_receipts")
        assert stored == total + args.history, stored
        print(
            f"sync: {total} receipts from {len(TILLS)} tills at once in {wall:.2f} s = {total / wall:,.0f} receipts/s"
            " (tills joined, warm)"
        )
        for till_id, (begun, end, cpu) in sorted(results.items()):
            print(f"  {till_id}: {end - begun:.2f} s, {cpu * 1000:.0f} ms CPU in the till's process")
        print(f"  the server: {server_cpu * 1000:.0f} ms CPU for the three rounds")
        print(
            f"first round (joining an empty shop, fresh processes): {first_wall:.2f} s ="
            f" {total / first_wall:,.0f} receipts/s; tills "
            + ", ".join(f"{cpu * 1000:.0f}" for _, _, cpu in (first_results[t] for t in TILLS))
            + f" ms CPU; the server {first_cpu * 1000:.0f} ms CPU"
        )
        # The figures kept as the receipts went in are the rows' (what `pos shop verify` checks).
        assert contexts[0].shop.figure_differences() == []
        floor, floor_cpu = copy_floor(server, database, total, events_before, args.history)
        print(
            f"floor: a bare COPY of the same rows, 3 tills at once: {floor:.2f} s = {total / floor:,.0f} receipts/s,"
            f" the server {floor_cpu * 1000:.0f} ms CPU"
        )
        load = " ".join(f"{n:.2f}" for n in os.getloadavg())
        print(f"ratio first round/floor: {floor / first_wall:.2f}")
        print(f"ratio sync/floor: {floor / wall:.2f} (target >= 0.5), load average {load}")

        # Fill the shop to --total receipts over 100 days before today (today's stay the tills' own).
        extra = max(0, args.total - stored)
        with server.admin() as admin:
            admin.execute(f'ALTER DATABASE "{database}" SET synchronous_commit = off')
        fill_history(server, shop_db, extra, after=args.history)
        server.query(database, "ANALYZE")
        ((stored,),) = server.query(database, "SELECT count(*) FROM shop_receipts")
        today = date.today()
        shop_times, till_times = [], []
        office = contexts[0]
        for _ in range(args.rounds):
            begun = time.perf_counter()
            shop_report, by_till = office.shop.report(today, "SGD")
            shop_times.append(time.perf_counter() - begun)
            begun = time.perf_counter()
            own = office.reports.for_date(today)
            till_times.append(time.perf_counter() - begun)
        assert shop_report.sales_count == sum(r.sales_count for r in by_till.values()) == total
        assert own.sales_count == args.receipts
        shop_ms, till_ms = statistics.median(shop_times) * 1000, statistics.median(till_times) * 1000
        print(
            f"shop report, one day of {shop_report.sales_count} receipts among {stored:,} in the shop: "
            f"{shop_ms:.1f} ms median"
        )
        print(
            f"single-till report (baseline, {own.sales_count} receipts on one till's SQLite): {till_ms:.1f} ms median"
        )
        print(f"ratio shop/single-till: {shop_ms / till_ms:.2f}")
        for context in contexts:
            context.close()
    finally:
        server.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())

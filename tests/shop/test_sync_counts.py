"""What a sync round costs, counted (issue 27 item 4: the shop keeps up), never timed: the till's
SQLite commits a round, the shop's statements a batch and for a pull with nothing new. A real till
(build_context on its SQLite file, cash sales: no card call is needed) and a real PostgreSQL shop
database (tests/helpers/pg.py)."""

from __future__ import annotations

import contextlib
import gc
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from psycopg import pq
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from pos.adapters.shop.sync import ShopDatabaseLink
from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.services.shop import ShopUnreachable
from tests.helpers.shop import pos, sell, shop_rows, till


@contextlib.contextmanager
def _counting(engine: Engine, name: str) -> Iterator[list[object]]:
    """Each `name` event (a commit, a statement) on `engine` while the block runs."""
    seen: list[object] = []

    def note(*args: object) -> None:
        seen.append(args[2] if name == "before_cursor_execute" else name)

    event.listen(engine, name, note)
    try:
        yield seen
    finally:
        event.remove(engine, name, note)


def _link(context) -> ShopDatabaseLink:
    link = context.shop.link
    assert isinstance(link, ShopDatabaseLink)
    return link


def test_a_round_of_several_batches_notes_the_acknowledgement_in_one_local_commit(
    pg, shop_db, tmp_path, sandbox, api_key
):
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        sell(t1, 2, cash_only=True)
        assert t1.shop.round().complete  # joined: what follows is a round like every later one
        sell(t1, 10, cash_only=True)
        link = _link(t1)
        link._batch = 4  # small batches (the app sends 2,500 events a batch): 10 receipts are 3 or more
        with _counting(link._local, "commit") as commits:
            pushed = link.push()
        assert pushed.receipts == 10 and pushed.events >= 10
        # One fsync'd commit for the round's acknowledgement, not one per batch (was 3 here).
        assert len(commits) == 1
        waiting = link.waiting()
        assert (waiting.events, waiting.receipts) == (0, 0)  # the note is the shop's acknowledgement
    finally:
        t1.close()
    assert shop_rows(pg, shop_db, "SELECT count(*), count(DISTINCT receipt_no) FROM shop_receipts") == [(12, 12)]


@contextlib.contextmanager
def _synchronous_at_commit(engine: Engine) -> Iterator[list[int]]:
    """SQLite's `synchronous` at each commit on `engine` while the block runs: 2 (FULL) is a commit
    that waits for the disk (an fdatasync of the WAL), 1 (NORMAL) one that does not (WAL mode)."""
    seen: list[int] = []

    def note(conn) -> None:
        seen.append(conn.connection.driver_connection.execute("PRAGMA synchronous").fetchone()[0])

    event.listen(engine, "commit", note)
    try:
        yield seen
    finally:
        event.remove(engine, "commit", note)


def test_a_rounds_note_of_the_acknowledgement_waits_for_no_disk_and_the_next_sale_does(
    pg, shop_db, tmp_path, sandbox, api_key
):
    """The round's one local commit (the shop's acknowledgement, kept for the status bar: the shop's
    row is the truth, so losing it in a power cut costs what a crash before it costs) no longer waits
    for the disk: was an fdatasync at the end of every round that sent something. The sale after it
    commits at FULL again (the WAL's order then makes the note durable with it)."""
    with _thirty_waiting(tmp_path, sandbox, api_key, shop_db) as t1:
        link = _link(t1)
        with _synchronous_at_commit(link._local) as round_commits:
            assert link.push().receipts == 30
        with _synchronous_at_commit(link._local) as sale_commits:
            sell(t1, 1, start=32, cash_only=True)
        assert link.waiting().events > 0  # the sale's events wait: the note after the round held
    assert round_commits == [1]  # NORMAL (was [2]: FULL)
    assert sale_commits and set(sale_commits) == {2}, sale_commits


def test_a_pull_with_nothing_new_asks_the_shop_one_question_and_writes_nothing_here(
    pg, shop_db, tmp_path, sandbox, api_key
):
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        sell(t1, 2, cash_only=True)
        assert t1.shop.round().complete
        link = _link(t1)
        with _counting(link._shop, "before_cursor_execute") as asked, _counting(link._local, "commit") as commits:
            pulled = link.pull()
        assert (pulled.products, pulled.settings) == (0, 0)
        # One indexed question (the newest catalog, settings and stock the shop has), where each part
        # was asked for, and a write here for the stock, every round (was 4 statements and 1 commit).
        assert len(asked) == 1, asked
        assert commits == []
    finally:
        t1.close()


def test_a_round_does_not_take_back_the_edits_it_sent_but_takes_another_tills_between(
    pg, shop_db, tmp_path, sandbox, api_key
):
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    t2 = till(tmp_path, "T2", sandbox, api_key, shop_db)
    try:
        cake = Product(sku="CAKE", name="Carrot cake", category="Cake", price=Money(600, "SGD"), tax_rate_bp=900)
        t1.catalog.save(cake)
        joined = t1.shop.round()  # the first till brings its catalog and settings to the shop…
        assert joined.complete and joined.pushed.products == 1 and joined.pushed.settings >= 1
        assert (joined.pulled.products, joined.pulled.settings) == (0, 0)  # …and does not take them back
        assert t2.shop.round().complete
        t1.catalog.save(replace(cake, price=Money(620, "SGD")))
        edited = t1.shop.round()
        assert (edited.pushed.products, edited.pulled.products) == (1, 0)
        # Another till's edit lands between what T1 took last and T1's own next edit: T1 takes both.
        t2.catalog.save(replace(cake, sku="TART", name="Egg tart"))
        assert t2.shop.round().complete
        t1.catalog.save(replace(cake, price=Money(650, "SGD")))
        both = t1.shop.round()
        assert both.pushed.products == 1 and both.pulled.products == 2
        assert t1.catalog.find_code("TART").name == "Egg tart"
        assert t1.catalog.find_code("CAKE").price == Money(650, "SGD")
        assert t2.shop.round().complete
        assert t2.catalog.find_code("CAKE").price == Money(650, "SGD")
    finally:
        t1.close()
        t2.close()


@contextlib.contextmanager
def _protocol(engine: Engine, folder: Path) -> Iterator[list[str]]:
    """The messages this till sends the shop's server while the block runs, as libpq traces them
    (psycopg's pgconn.trace on every connection the engine opens from here on), one a line."""
    engine.dispose()  # connections made from here on are traced
    files = []

    def trace(dbapi_connection, _record) -> None:
        out = (folder / f"trace-{len(files)}.txt").open("w")
        files.append(out)
        dbapi_connection.pgconn.trace(out.fileno())
        dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)

    event.listen(engine, "connect", trace)
    lines: list[str] = []
    try:
        yield lines
    finally:
        event.remove(engine, "connect", trace)
        engine.dispose()  # untraced from here on
        for out in files:
            out.close()
            lines += [line for line in Path(out.name).read_text().splitlines() if line.startswith("F")]


@contextlib.contextmanager
def _thirty_waiting(tmp_path: Path, sandbox, api_key, shop_db: str) -> Iterator[Any]:
    """A till joined to the shop (its first round done) with 30 cash sales waiting: receipts, lines,
    tenders and events enough for each to go by COPY."""
    t1 = till(tmp_path, "T1", sandbox, api_key, shop_db)
    try:
        sell(t1, 2, cash_only=True)
        assert t1.shop.round().complete
        sell(t1, 30, cash_only=True)
        yield t1
    finally:
        t1.close()


def test_a_batch_goes_by_copy_without_a_savepoint_in_few_round_trips(pg, shop_db, tmp_path, sandbox, api_key):
    with _thirty_waiting(tmp_path, sandbox, api_key, shop_db) as t1:
        link = _link(t1)
        with _protocol(link._shop, tmp_path) as sent:
            assert link.push().receipts == 30
    said = "\n".join(sent)
    assert said.count("COPY shop_") == 4 and "SAVEPOINT" not in said  # was a savepoint around each COPY
    # A round trip ends each simple query and each extended query's Sync: BEGIN, the till's row
    # locked, 4 COPYs, the figures, the refunds already there, the row moved on, the claims settled,
    # COMMIT (was 19: a savepoint taken and released around each COPY).
    trips = [line for line in sent if "\tQuery\t" in line or "\tSync" in line]
    assert len(trips) <= 11, "\n".join(trips)
    assert shop_rows(pg, shop_db, "SELECT count(*) FROM shop_receipts") == [(32,)]


def test_a_batchs_four_copies_go_in_binary_as_the_floors_with_every_value_exact(
    pg, shop_db, tmp_path, sandbox, api_key
):
    """The four COPYs of a batch in binary (psycopg packs each value in C: about half the till's
    COPY CPU of text), as the bench's floor copies; a whole number is sent so only when every one
    of its column's is within int4 (_in_range: psycopg's int4 has no range check). Counted in the
    protocol: were all text."""
    with _thirty_waiting(tmp_path, sandbox, api_key, shop_db) as t1:
        link = _link(t1)
        with _protocol(link._shop, tmp_path) as sent:
            assert link.push().receipts == 30
    copies = [line for line in sent if "COPY shop_" in line]
    assert len(copies) == 4 and all("(FORMAT binary)" in line for line in copies), copies
    paid = (1 + 2 + 10 * (1 + 2 + 3)) * 550  # 1-3 flat whites at 5.50 a sale (helpers.shop.sell)
    assert shop_rows(pg, shop_db, "SELECT count(*), sum(total_minor) FROM shop_receipts") == [(32, paid)]
    assert shop_rows(pg, shop_db, "SELECT count(*), sum(gross_minor), sum(quantity) FROM shop_receipt_lines") == [
        (32, paid, 1 + 2 + 10 * (1 + 2 + 3))
    ]
    assert shop_rows(pg, shop_db, "SELECT count(*), sum(amount_minor) FROM shop_tenders") == [(32, paid)]
    assert shop_rows(pg, shop_db, "SELECT count(*) FROM shop_events WHERE till_id = 'T1'")[0][0] >= 64


def test_a_value_of_another_type_in_a_batch_by_binary_copy_is_sent_again_as_text_and_refused(
    pg, shop_db, tmp_path, sandbox, api_key
):
    """A receipt total of 1.5 in the till's file (edited by hand: SQLite keeps a REAL in an INTEGER
    column). It is within int4's range, so the batch goes by binary COPY; psycopg will not pack it as
    an int4 (TypeError, before it is sent): the batch is rolled back and sent again as text, where the
    server reads it against its column and refuses it: the shop refusing this till's records, in one
    line, nothing stored (never a traceback, never a value cut to fit)."""
    with _thirty_waiting(tmp_path, sandbox, api_key, shop_db) as t1:
        with sqlite3.connect(tmp_path / "T1" / "pos.sqlite3") as db:  # as an editor of the file would
            db.execute("UPDATE receipts SET total_minor = 1.5 WHERE receipt_no = 20")
        with _protocol(_link(t1)._shop, tmp_path) as sent:
            refused = t1.shop.round()
        assert refused.refused and refused.problem is not None, refused
        assert "\n" not in refused.problem and "integer" in refused.problem, refused.problem
        assert refused.waiting.receipts == 30
    copies = [
        line.split("COPY ", 1)[1][:40] + ("binary" if "binary" in line else "text")
        for line in sent
        if "COPY shop_" in line
    ]
    assert any(c.endswith("binary") for c in copies) and any(c.endswith("text") for c in copies), copies
    assert shop_rows(pg, shop_db, "SELECT count(*) FROM shop_receipts") == [(2,)]


def test_a_batchs_large_reads_of_the_till_run_on_its_sqlite_cursor_not_as_statements_compiled_each_process(
    pg, shop_db, tmp_path, sandbox, api_key
):
    with _thirty_waiting(tmp_path, sandbox, api_key, shop_db) as t1:
        link = _link(t1)
        with _counting(link._local, "before_cursor_execute") as statements:
            pushed = link.push()
        assert pushed.receipts == 30 and pushed.events >= 30
    # The events (with what their payloads name), receipts, lines and tenders: four reads a batch,
    # compiled once from their Core statements and run on the DBAPI cursor, so SQLAlchemy executes
    # none of them (it did all four: a compile each in a fresh process, a Row object per row).
    large = [s for s in statements if "json_extract" in str(s) or "json_each" in str(s)]
    assert large == [], large
    paid = (1 + 2 + 10 * (1 + 2 + 3)) * 550  # 1-3 flat whites at 5.50 a sale (helpers.shop.sell)
    assert shop_rows(pg, shop_db, "SELECT count(*), sum(total_minor) FROM shop_receipts") == [(32, paid)]
    assert shop_rows(pg, shop_db, "SELECT count(*), sum(gross_minor) FROM shop_receipt_lines") == [(32, paid)]
    assert shop_rows(pg, shop_db, "SELECT count(*) FROM shop_tenders WHERE kind = 'cash'") == [(32,)]


@contextlib.contextmanager
def _collections() -> Iterator[list[int]]:
    """The generation of each cyclic garbage collection that starts while the block runs."""
    seen: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(note)
    try:
        yield seen
    finally:
        gc.callbacks.remove(note)


def test_no_cyclic_garbage_collection_runs_while_a_rounds_batches_are_read_and_sent(
    pg, shop_db, tmp_path, sandbox, api_key
):
    """A batch's rows are tuples held at once (30,000 for 3,000 sales): each collection their
    allocation set off walked them again, now and then a full one of the whole process (~45 ms of a
    ~60 ms round, bench/sync.py's tills). Counted, not timed: none starts while a batch is read
    and sent now (several did; one may start as the push returns, its rows freed by then), and
    collecting is on again after the push, also after one that failed, and stays off after it for
    a caller that had it off."""
    with _thirty_waiting(tmp_path, sandbox, api_key, shop_db) as t1:
        link = _link(t1)
        # 30 sales allocate fewer objects than a collection waits for by default (700): at 3,000
        # they are many times that; a lower threshold stands for the larger batch.
        threshold = gc.get_threshold()
        gc.set_threshold(50, *threshold[1:])
        send, collections = link._send_batch, []

        def batch(*args: Any) -> Any:  # a batch read and sent: its rows in hand
            with _collections() as seen:
                try:
                    return send(*args)
                finally:
                    collections.extend(seen)

        link._send_batch = batch  # type: ignore[method-assign]
        try:
            pushed = link.push()
        finally:
            gc.set_threshold(*threshold)
            del link._send_batch
        assert pushed.receipts == 30 and pushed.events >= 30
        assert collections == [] and gc.isenabled()
        shop = link._shop
        link._shop = create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none")  # no server there
        with pytest.raises(ShopUnreachable):
            link.push()
        assert gc.isenabled()
        link._shop = shop
        gc.disable()
        try:
            link.push()
            assert not gc.isenabled()
        finally:
            gc.enable()
    assert shop_rows(pg, shop_db, "SELECT count(*) FROM shop_receipts") == [(32,)]


def test_pos_sync_refuses_a_batch_that_is_not_a_number_of_events_in_one_line(pg, shop_db, tmp_path):
    for given in ("0", "-3", "many", "2.5"):
        ran = pos("sync", "--batch", given, data_dir=tmp_path / "T1", shop_db=shop_db)
        assert ran.returncode == 2, (given, ran.stderr)
        said = [line for line in ran.stderr.splitlines() if line.startswith("pos")]
        assert said and "is not a number of events" in said[-1] and "Traceback" not in ran.stderr


def test_collection_is_on_while_a_push_connects_waits_for_its_till_row_and_commits(
    pg, shop_db, tmp_path, sandbox, api_key
):
    """Collecting is off only while a batch's rows are in hand (above): the round's connect (up to
    5 s), its wait for the till's row lock (another till's round holding it) and each commit hold no
    batch, and the window's own garbage is collected while they wait. Counted: whether collection
    was on at each of those points, seen by the pool's checkout, the lock's read and the commit."""
    with _thirty_waiting(tmp_path, sandbox, api_key, shop_db) as t1:
        link = _link(t1)
        seen: dict[str, list[bool]] = {"checkout": [], "lock": [], "commit": [], "batch": []}
        lock, send = link._lock_till, link._send_batch

        def locked(*args: Any) -> Any:
            seen["lock"].append(gc.isenabled())
            return lock(*args)

        def batch(*args: Any) -> Any:
            seen["batch"].append(gc.isenabled())
            return send(*args)

        def checkout(*_args: Any) -> None:
            seen["checkout"].append(gc.isenabled())

        def commit(*_args: Any) -> None:
            seen["commit"].append(gc.isenabled())

        link._lock_till, link._send_batch = locked, batch  # type: ignore[method-assign]
        event.listen(link._shop, "checkout", checkout)
        event.listen(link._shop, "commit", commit)
        try:
            pushed = link.push()
        finally:
            event.remove(link._shop, "checkout", checkout)
            event.remove(link._shop, "commit", commit)
            del link._lock_till, link._send_batch
        assert pushed.receipts == 30
        assert seen["batch"] and not any(seen["batch"])  # the rows' part: off, as before
        assert seen["checkout"] and all(seen["checkout"])
        assert seen["lock"] and all(seen["lock"])
        assert seen["commit"] and all(seen["commit"])

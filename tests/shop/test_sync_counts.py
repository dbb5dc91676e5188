"""What a sync round costs, counted (issue 27 item 4: the shop keeps up), never timed: the till's
SQLite commits a round, the shop's statements a batch and for a pull with nothing new. A real till
(build_context on its SQLite file, cash sales: no card call is needed) and a real PostgreSQL shop
database (tests/helpers/pg.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import event
from sqlalchemy.engine import Engine

from pos.adapters.shop.sync import ShopDatabaseLink
from tests.helpers.shop import sell, shop_rows, till


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

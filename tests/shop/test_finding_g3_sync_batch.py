"""Hostile tester g3 (issue 27 item 4): `pos sync --batch N` (main's 14cb1f5) with N past what
SQLite's LIMIT can hold. Real `pos` (in process, tests/helpers/cli.py), real PostgreSQL, a real
SQLite file; nothing mocked."""

from __future__ import annotations

from tests.helpers.shop import pos


def test_finding_a_batch_size_past_sqlites_integers_is_refused_in_one_line(pg, shop_db, tmp_path):
    """Before: argparse took 99999999999999999999 (1 or more), and the round's first read of the
    till raised OverflowError (Python int too large to convert to SQLite INTEGER): "the command
    failed unexpectedly (OverflowError)", exit 1. Now: argparse's one line, exit 2, nothing done."""
    folder = tmp_path / "T1"
    named = pos("settings", "set", "till_id", "T1", data_dir=folder, shop_db=shop_db)
    assert named.returncode == 0, named.stderr
    done = pos("sync", "--batch", "99999999999999999999", data_dir=folder, shop_db=shop_db)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--batch" in done.stderr and "unexpectedly" not in done.stderr and "Traceback" not in done.stderr
    assert pos("sync", "--batch", "1000000", data_dir=folder, shop_db=shop_db).returncode == 0

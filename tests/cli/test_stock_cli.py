"""`pos stock levels|receive|count|movements` (issue 26): the catalog's stock columns, deliveries and
counts from CSV read strictly with line numbers, the count's variance printed (and with --dry-run only
printed), levels and movements as CSV or JSON, and a count that needs a manager once cashiers exist."""

from __future__ import annotations

import json

import pytest

from .test_cli import pos

CATALOG = (
    "sku,barcode,name,category,price,tax_rate,track_stock,unit,low_stock,open_price\n"
    "APL,,Apples,Fruit,3.50,9,yes,kg,2.5,no\n"
    "MUG,,Mug,Retail,12.00,9,yes,each,3,no\n"
    "LAT,,Latte,Coffee,5.80,9,no,each,,no\n"
)


@pytest.fixture
def till(tmp_path):
    data = tmp_path / "data"
    (tmp_path / "catalog.csv").write_text(CATALOG, encoding="utf-8")
    assert pos("--data-dir", str(data), "catalog", "import", str(tmp_path / "catalog.csv")).returncode == 0
    return tmp_path, data


def run(data, *args, stdin=None):
    return pos("--data-dir", str(data), "stock", *args, stdin=stdin)


def write(folder, name, text):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_receive_count_levels_and_movements(till):
    folder, data = till
    done = run(data, "receive", write(folder, "in.csv", "sku,quantity,cost\nAPL,10.25,1.20\nMUG,2,4.00\n"))
    assert done.returncode == 0, done.stderr
    levels = json.loads(run(data, "levels", "--format", "json").stdout)
    assert levels == [
        {"sku": "APL", "name": "Apples", "unit": "kg", "on_hand": "10.250", "low_stock": "2.500", "below": False},
        {"sku": "MUG", "name": "Mug", "unit": "each", "on_hand": "2", "low_stock": "3", "below": True},
    ]  # LAT does not track stock
    count = write(folder, "count.csv", "sku,counted\nAPL,9.1\n")
    dry = run(data, "count", "--dry-run", count)
    assert dry.returncode == 0 and "APL: expected 10.250, counted 9.100, variance -1.150" in dry.stdout
    assert "nothing was changed" in dry.stdout
    assert json.loads(run(data, "levels", "--format", "json").stdout)[0]["on_hand"] == "10.250"
    assert run(data, "count", count).returncode == 0
    csv_levels = run(data, "levels").stdout.splitlines()
    assert csv_levels[0] == "sku,name,unit,on_hand,low_stock,below"
    assert csv_levels[1] == "APL,Apples,kg,9.100,2.500,false"
    moves = json.loads(run(data, "movements", "--format", "json").stdout)
    assert [(m["sku"], m["kind"], m["quantity"], m["cost"]) for m in moves] == [
        ("APL", "delivery", "10.250", "1.20"),
        ("MUG", "delivery", "2", "4.00"),
        ("APL", "count", "-1.150", ""),
    ]
    assert run(data, "movements", "--from", "2000-01-01", "--to", "2000-01-02").stdout.count("\n") == 1
    assert pos("--data-dir", str(data), "audit", "verify").returncode == 0


@pytest.mark.parametrize(
    "body,words",
    [
        ("sku,quantity\nAPL,1\nAPL,1.2345\n", "line 3: quantity 1.2345 has more than 3 decimals (kg)"),
        ("sku,quantity\nMUG,1.5\n", "line 2: quantity 1.5 must be whole: this product is sold each"),
        ("sku,quantity\nMUG,1\nNOPE,1\n", "line 3: no product with SKU NOPE is stocked here"),
        ("sku,quantity\nLAT,1\n", "line 2: LAT does not track stock"),
        ("sku,quantity\nMUG,1\nMUG,2\n", "line 3: sku MUG already on line 2"),
        ("sku,quantity\nMUG,0\n", "line 2: quantity 0 must be more than zero"),
        ("sku,quantity,cost\nMUG,1,abc\n", "line 2: cost"),
        ("sku,quantity\nMUG,1,2\n", "line 2: has 3 fields but the header has 2"),
        ("sku,qty\nMUG,1\n", "line 1: missing column(s): quantity"),
        ("sku,quantity,price\nMUG,1,2\n", "line 1: unknown column(s): price"),
    ],
)
def test_a_bad_delivery_file_is_refused_whole_with_its_line(till, body, words):
    folder, data = till
    done = run(data, "receive", write(folder, "in.csv", body))
    assert done.returncode == 1 and words in done.stderr and "Nothing was changed" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert run(data, "movements").stdout.count("\n") == 1  # the header alone: nothing written


@pytest.mark.parametrize(
    "action,body,words",
    [
        # A file saved as Latin-1 (a spreadsheet's "CSV" without UTF-8): its line, not a traceback.
        ("receive", b"sku,quantity\nMUG,1\nAPL,1\xff\n", "line 3: is not UTF-8 text"),
        ("count", b"sku,counted\nMUG\xe9,1\n", "line 2: is not UTF-8 text"),
        ("transfer", b"sku,quantity\nMUG,\xff\n", "line 2: is not UTF-8 text"),
        # A field past the csv module's limit.
        ("receive", b"sku,quantity\nMUG," + b"1" * 200_000 + b"\n", "cannot be read as CSV"),
        # A cost no integer column holds (it crashed with OverflowError).
        ("receive", b"sku,quantity,cost\nMUG,1,99999999999999999999\n", "line 2: cost 99999999999999999999 is more"),
    ],
)
def test_a_stock_file_that_is_not_text_or_too_big_is_refused_in_one_line(till, action, body, words):
    folder, data = till
    path = folder / "in.csv"
    path.write_bytes(body)
    extra = ("--to", "north") if action == "transfer" else ()
    done = run(data, action, str(path), *extra)
    assert done.returncode == 1 and words in done.stderr and "Nothing was changed" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert run(data, "movements").stdout.count("\n") == 1


def test_a_bad_stock_column_in_the_catalog_is_refused_with_its_line(tmp_path):
    path = write(tmp_path, "c.csv", CATALOG.replace("APL,,Apples,Fruit,3.50,9,yes", "APL,,Apples,Fruit,3.50,9,maybe"))
    done = pos("--data-dir", str(tmp_path / "data"), "catalog", "import", path)
    assert done.returncode == 1 and "line 2: track_stock 'maybe' must be yes or no" in done.stderr


def test_a_count_needs_a_manager_once_cashiers_are_on_file(till):
    folder, data = till
    added = pos("--data-dir", str(data), "cashiers", "add", "Mara", "--role", "owner", stdin="2468\n2468\n")
    assert added.returncode == 0, added.stderr
    added = pos("--data-dir", str(data), "--as", "Mara", "cashiers", "add", "Ben", stdin="2468\n1357\n1357\n")
    assert added.returncode == 0, added.stderr
    count = write(folder, "count.csv", "sku,counted\nMUG,5\n")
    refused = pos("--data-dir", str(data), "--as", "Ben", "stock", "count", count, stdin="1357\n")
    assert refused.returncode == 1 and "approve a stock count" in refused.stderr
    done = pos("--data-dir", str(data), "--as", "Mara", "stock", "count", count, stdin="2468\n")
    assert done.returncode == 0, done.stderr
    assert "MUG: expected 0, counted 5, variance 5" in done.stdout
    moves = json.loads(run(data, "movements", "--format", "json").stdout)
    assert [(m["kind"], m["quantity"], m["who"]) for m in moves] == [("count", "5", "Mara")]


def test_a_transfer_file_sends_each_line_to_another_location_and_refuses_bad_ones_whole(till):
    folder, data = till
    assert run(data, "receive", write(folder, "in.csv", "sku,quantity\nAPL,5\nMUG,4\n")).returncode == 0
    sent = write(folder, "out.csv", "sku,quantity\nAPL,1.5\nMUG,3\n")
    for to, words in (("main", "this till is at main already"), (" ", "The location is a name on one line")):
        refused = run(data, "transfer", sent, "--to", to)
        assert refused.returncode == 1 and words in refused.stderr and "Nothing was changed" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
    bad = run(data, "transfer", write(folder, "bad.csv", "sku,quantity\nAPL,1\nMUG,0.5\n"), "--to", "north")
    assert bad.returncode == 1 and "line 3: quantity 0.5 must be whole" in bad.stderr
    done = run(data, "transfer", sent, "--to", "north")
    assert done.returncode == 0 and "sent 2 lines from main to north" in done.stdout, done.stderr
    moves = json.loads(run(data, "movements", "--format", "json").stdout)
    assert [(m["sku"], m["kind"], m["quantity"], m["why"]) for m in moves[2:]] == [
        ("APL", "transfer_out", "-1.500", "north"),
        ("MUG", "transfer_out", "-3", "north"),
    ]
    levels = {lv["sku"]: lv["on_hand"] for lv in json.loads(run(data, "levels", "--format", "json").stdout)}
    assert levels == {"APL": "3.500", "MUG": "1"}

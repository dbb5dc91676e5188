"""Strict catalog CSV (issue 11, finding 6). Each case reproduced a finding before the fix:
a row with a decimal comma imported shifted (price 1.00, tax 50%), a repeated header silently
won, 1e30 crashed the CLI, prices above Stripe's card maximum were taken, formula cells were
exported as they were, a re-import revived deactivated products, and a 10 MB import held the
write lock for 26 s while a selling till got "database is busy"."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pos.adapters.db.catalog import CatalogImportError, CatalogRepo
from pos.adapters.db.storage import open_engine
from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.services.checkout import Paid
from tests.services.conftest import Shop

from .test_cli import pos

HEADER = "sku,barcode,name,category,price,tax_rate\n"
GOOD = "A-1,111,Kopi,Coffee,1.50,9\n"


def write(tmp_path, text):
    path = tmp_path / "in.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "body,words",
    [
        (GOOD + "B-2,222,Teh,Tea,1,50,9\n", "line 3: has 7 fields but the header has 6"),
        (GOOD + "B-2,222,Teh,Tea,1.50\n", "line 3: has 5 fields but the header has 6"),
        (GOOD + "B-2,222,Teh,Tea,1e30,9\n", "line 3: price: '1e30' is not an amount"),
        (GOOD + "B-2,222,Teh,Tea,1000000000000000000000000000000,9\n", "more than a card payment can take"),
        (GOOD + "B-2,222,Teh,Tea,1000000.00,9\n", "line 3: price 1000000.00 is more than a card payment can take"),
        (GOOD + "B-2,222,Teh,Tea,0,9\n", "line 3: price 0 must be more than zero"),
        (GOOD + "B-2,222,Teh,Tea,NaN,9\n", "line 3: price"),
        (GOOD + "B-2,222,Teh,Tea,inf,9\n", "line 3: price"),
        # Issue 23, finding 3: printer commands in a name (ESC p kicks the drawer, GS V cuts).
        (GOOD + "B-2,222,Tea\x1bp\x00\x19\xfa\x1dV\x00,Tea,1.50,9\n", "line 3: name holds a control character (ESC)"),
        (GOOD + "B-2,222,Teh,Tea\x1dV,1.50,9\n", "line 3: category holds a control character (GS)"),
    ],
)
def test_bad_rows_are_refused_with_their_line_and_nothing_is_imported(tmp_path, body, words):
    data = tmp_path / "data"
    done = pos("--data-dir", str(data), "catalog", "import", str(write(tmp_path, HEADER + body)))
    assert done.returncode == 1, done.stdout
    assert words in done.stderr and "Nothing was imported" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    engine = open_engine(data)
    try:
        assert CatalogRepo(engine).count() == 0
    finally:
        engine.dispose()


def test_a_repeated_header_name_is_refused(tmp_path):
    with pytest.raises(CatalogImportError) as caught:
        CatalogRepo(open_engine(tmp_path / "data")).import_csv(
            io.StringIO("sku,barcode,name,category,price,tax_rate,price\nA-1,1,K,C,1.50,9,2.50\n"), "SGD"
        )
    assert caught.value.line == 1 and "price appears more than once" in caught.value.reason


def test_export_neutralises_formula_cells_and_imports_back_the_same(tmp_path):
    repo = CatalogRepo(open_engine(tmp_path / "data"))
    risky = ['=HYPERLINK("http://x","click")', "+1+2", "-cmd", "@SUM(A1)", "\tTabbed", "\rReturn"]
    for n, name in enumerate(risky):
        repo.save(Product(sku=f"R-{n}", name=name, category="=Cat", price=Money(150, "SGD"), tax_rate_bp=900))
    out = io.StringIO()
    repo.export_csv(out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    for row in rows:
        # OWASP: a cell that starts like a formula gets a leading quote, so a spreadsheet shows text.
        assert row["name"].startswith("'") and row["category"] == "'=Cat"
    again = CatalogRepo(open_engine(tmp_path / "again"))
    again.import_csv(io.StringIO(out.getvalue(), newline=""), "SGD")
    # A tab or a line end leading a name (possible only in a catalog from before issue 23, which
    # refuses control characters) comes back trimmed, as every cell's edges are.
    assert sorted(p.name for p in again.all()) == sorted(name.strip() for name in risky)
    assert {p.category for p in again.all()} == {"=Cat"}


def test_a_re_import_never_revives_a_deactivated_product(tmp_path):
    data = tmp_path / "data"
    path = write(tmp_path, HEADER + GOOD + "B-2,222,Teh,Tea,2.00,9\n")
    assert pos("--data-dir", str(data), "catalog", "import", str(path)).returncode == 0
    engine = open_engine(data)
    repo = CatalogRepo(engine)
    repo.set_active(repo.find_code("B-2").id, False)
    engine.dispose()
    done = pos("--data-dir", str(data), "catalog", "import", str(path))
    assert done.returncode == 0
    assert "0 new, 2 updated" in done.stdout and "1 stay deactivated: B-2" in done.stdout
    engine = open_engine(data)
    try:
        assert CatalogRepo(engine).find_code("B-2") is None  # still not sold at the till
    finally:
        engine.dispose()


def test_a_long_import_never_blocks_a_sale_for_more_than_a_moment(tmp_path, sandbox, api_key):
    path = tmp_path / "big.csv"
    rows = 60_000
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(HEADER)
        for i in range(rows):
            handle.write(
                f"BIG-{i:06d},{7700000000000 + i},Imported product {i} with a longer name,Cat {i % 40},"
                f"{i % 500 + 1}.50,9\n"
            )
    data = tmp_path / "data"
    # A till whose every write gives up after one second of waiting for the lock: "a moment".
    shop = Shop(data, sandbox, api_key, busy_timeout_ms=1000)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    importer = subprocess.Popen(
        [sys.executable, "-m", "pos", "--data-dir", str(data), "catalog", "import", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while shop.catalog.count() <= 2:  # the import has begun writing
            assert importer.poll() is None and time.monotonic() < deadline, importer.stderr.read()
            time.sleep(0.01)
        sold = 0
        while importer.poll() is None and sold < 5:
            shop.till.new_sale()
            shop.cart_of((shop.latte, 1))
            result = shop.till.pay("pm_card_visa")
            assert isinstance(result, Paid), result
            sold += 1
        assert sold >= 1, "the import finished before a sale could overlap it"
        assert importer.wait(120) == 0, importer.stderr.read()
    finally:
        if importer.poll() is None:
            importer.kill()
        shop.engine.dispose()
    assert shop.catalog.count() == rows + 2

"""Tills of a shop for the tests and the bench: a till on its own data folder joined to a shop
database, sales paid as a till pays them, `pos` run as a command, and the shop's rows read back."""

from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from pathlib import Path

from pos.adapters.shop.connect import ca_file, keep_ca, read_ca
from pos.app import build_context, open_back_office
from pos.domain.catalog import Product
from pos.domain.money import Money
from pos.services.outcomes import Paid
from tests.helpers.cli import run_pos

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHOP_CA_ENV = "POS_TEST_SHOP_CA"  # the tests' server's CA (tests/shop/conftest.py); pos never reads it


def trust_shop_ca(folder, ca: Path | str | None = None) -> None:
    """Keep the CA that signed the tests' server in a till's data folder, as `pos shop set-ca` keeps
    it: the till then reaches the shop over TLS with verify-full (the server is on loopback, where
    the till would otherwise settle for unverified TLS). `ca` defaults to the shop tests' server's."""
    ca = ca or os.environ.get(SHOP_CA_ENV)
    if ca and not ca_file(Path(folder)).exists():
        keep_ca(Path(folder), read_ca(Path(ca)))


def pos(*args: str, data_dir, shop_db: str, stdin: str | None = None, **extra: str) -> subprocess.CompletedProcess:
    """`pos --data-dir DATA_DIR ARGS…` with POS_SHOP_DB=shop_db ("": no shop database) and `extra` in
    its environment, run in this process (tests/helpers/cli.py; a crash point gets its own process).
    A till joined to the tests' PostgreSQL keeps its CA first (verify-full)."""
    if shop_db.startswith("postgresql"):
        trust_shop_ca(data_dir)
    return run_pos(["--data-dir", str(data_dir), *args], env={"POS_SHOP_DB": shop_db, **extra}, stdin=stdin)


def name_till(folder, till_id: str) -> None:
    """The till id of a data folder, set as the back office sets it."""
    office = open_back_office(folder)
    try:
        office.store_settings.save(replace(office.settings, till_id=till_id))
    finally:
        office.close()


def till(tmp_path, name: str, sandbox, api_key, shop_db: str):
    """A till named `name` on tmp_path/name, paying through the sandbox, joined to shop_db over
    verified TLS (the tests' CA kept in its data folder)."""
    if shop_db.startswith("postgresql"):
        trust_shop_ca(tmp_path / name)
    name_till(tmp_path / name, name)
    return build_context(tmp_path / name, stripe_base_url=sandbox.url, api_key=api_key, shop_db=shop_db)


def sell(context, count: int, *, start: int = 0, cash_only: bool = False) -> list[Paid]:
    """`count` sales of 1–3 flat whites: even ones in cash (exact), odd ones by card (pm_card_visa)."""
    product = context.catalog.find_code("SHOP-1") or context.catalog.save(
        Product(sku="SHOP-1", name="Flat white", category="Coffee", price=Money(550, "SGD"), tax_rate_bp=900)
    )
    paid = []
    for n in range(start, start + count):
        context.till.new_sale()
        context.till.cart.add(product, 1 + n % 3)
        by_card = n % 2 and not cash_only
        result = context.till.pay("pm_card_visa") if by_card else context.till.pay_cash(context.till.amount_due())
        assert isinstance(result, Paid), result
        paid.append(result)
    return paid


def sync_at_once(shop_db: str, *folders) -> None:
    """`pos sync` of each till as its own process, all at once; each exits 0, no traceback."""
    import concurrent.futures

    from tests.helpers.cli import run_process

    env = {"POS_SHOP_DB": shop_db}
    for folder in folders:
        trust_shop_ca(folder)
    with concurrent.futures.ThreadPoolExecutor(len(folders)) as pool:
        runs = list(pool.map(lambda folder: run_process(["--data-dir", folder, "sync"], env), folders))
    for run in runs:
        assert run.returncode == 0, run.stderr
        assert "Traceback" not in run.stderr


def shop_rows(pg, shop_db: str, sql: str) -> list[tuple]:
    return pg.query(shop_db.rsplit("/", 1)[1], sql)


def put_shop_product(pg, shop_db: str, sku: str, name: str, *, colour: str | None = None) -> None:
    """A product row written straight into the shop database (as another program or a SQL prompt
    might), with the catalog's next version, so the next round takes it down to the tills."""
    pg.query(
        shop_db.rsplit("/", 1)[1],
        "WITH v AS (UPDATE shop_counters SET value = value + 1 WHERE name = 'catalog' RETURNING value)"
        " INSERT INTO shop_products (sku, barcode, name, category, price_minor, currency, tax_rate_bp,"
        " active, colour, version, edited_by, edited_at) SELECT %s, NULL, %s, 'Drinks', 280, 'SGD', 900, true,"
        " %s, v.value, 'office', '' FROM v",
        sku,
        name,
        colour,
    )

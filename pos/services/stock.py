"""Stock: levels, deliveries, counts, waste, the movements report (Back office → Stock, `pos stock`).

The rules live here and in domain/stock.py, so the window and the command line apply the same ones;
the ledger (adapters/db/stock.TillStock) is the store. A count is read and applied in one
transaction, after a manager approved it. Files are read strictly, as the catalog import reads its
own: every row is checked first, a bad one named by its line, and nothing is written unless all pass.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from pos.domain.catalog import MAX_PRICE_MINOR, CatalogImportError, check_header, csv_plain
from pos.domain.money import Money, MoneyError
from pos.services.settings import SettingsError, check_location
from pos.domain.stock import (
    Asks,
    Level,
    Movement,
    MovementKind,
    StockError,
    StockItem,
    Unit,
    Variance,
    parse_quantity,
    to_milli,
)


class StockStore(Protocol):
    def levels(self) -> list[Level]: ...
    def level(self, sku: str) -> Level | None: ...
    def low_stock(self) -> list[Level]: ...
    def item(self, sku: str) -> StockItem | None: ...
    def movements(self, first: date | None = None, last: date | None = None) -> list[Movement]: ...
    def set_items(self, items: dict[str, StockItem]) -> None: ...
    def move(
        self, lines: list[tuple[str, MovementKind, int, int | None, str]], subject: str, *, approved_by: str = ""
    ) -> list[int]: ...
    def count(self, counted: dict[str, int], *, approved_by: str, apply: bool) -> list[Variance]: ...


def read_rows(
    path: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) of a CSV file whose header names `required` (and maybe `optional`) once
    each; a row with a different number of fields is refused with its line."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Decoded whole (not as read) so the bad byte's line can be named, as every other fault is.
        line = raw[: exc.start].count(b"\n") + 1
        raise CatalogImportError(line, "is not UTF-8 text (save the file as CSV UTF-8)") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = check_header(next(reader, []), required, required + optional)
        for cells in reader:
            if not cells:
                continue
            if len(cells) != len(header):
                raise CatalogImportError(reader.line_num, f"has {len(cells)} fields but the header has {len(header)}")
            yield reader.line_num, {h: c.strip() for h, c in zip(header, cells, strict=True)}
    except csv.Error as exc:  # a field past the csv module's limit, a stray quote in strict mode
        raise CatalogImportError(reader.line_num, f"cannot be read as CSV ({exc})") from None


@dataclass(frozen=True)
class Received:
    lines: int
    movement_ids: tuple[int, ...]

    def describe(self) -> str:
        return f"Received {self.lines} lines into stock."


class Stock:
    def __init__(self, store: StockStore, currency: Callable[[], str]):
        self._store = store
        self._currency = currency

    # -- reads ---------------------------------------------------------------------------------
    def levels(self) -> list[Level]:
        return self._store.levels()

    def level(self, sku: str) -> Level | None:
        return self._store.level(sku)

    def low_stock(self) -> list[Level]:
        return self._store.low_stock()

    def movements(self, first: date | None = None, last: date | None = None) -> list[Movement]:
        return self._store.movements(first, last)

    def asks(self, sku: str) -> Asks:
        """What adding the product to a sale asks the cashier first: one read of its stock settings
        per scan or tap (it was two, one per question; issue 27 item 5)."""
        item = self._store.item(sku)
        return Asks.NOTHING if item is None else item.asks

    def unit(self, sku: str) -> Unit | None:
        """How the product is counted (each, kg); None when it has no stock settings."""
        item = self._store.item(sku)
        return None if item is None else item.unit

    def value_at_cost(self) -> Money:
        """On-hand (not below zero) at each product's last delivery cost."""
        minor = sum(
            max(level.on_hand_milli, 0) * (level.last_cost_minor or 0) // 1000 for level in self._store.levels()
        )
        return Money(minor, self._currency())

    # -- rules ---------------------------------------------------------------------------------
    def _tracked(self, sku: str) -> StockItem:
        item = self._store.item(sku)
        if item is None:
            raise StockError(f"no product with SKU {sku} is stocked here")
        if not item.track_stock:
            raise StockError(f"{sku} does not track stock (set track_stock to yes in the catalog)")
        return item

    def _quantity(self, sku: str, text: str) -> int:
        return to_milli(parse_quantity(text, self._tracked(sku).unit))

    def counted_quantity(self, sku: str, text: str) -> int:
        """A quantity counted on the shelf, in the product's unit (thousandths)."""
        return self._quantity(sku, text)

    # -- writes --------------------------------------------------------------------------------
    def set_item(self, sku: str, item: StockItem) -> None:
        self._store.set_items({sku: item})

    def receive(self, sku: str, quantity: str, cost: str = "", why: str = "delivery") -> list[int]:
        milli = self._quantity(sku, quantity)
        if milli <= 0:
            raise StockError("a delivery's quantity must be more than zero")
        cost_minor = self._cost(cost)
        return self._store.move([(sku, MovementKind.DELIVERY, milli, cost_minor, why)], f"delivery of {sku}")

    def waste(self, sku: str, quantity: str, reason: str) -> list[int]:
        if not reason.strip():
            raise StockError("say why it is thrown away (broken, expired, …)")
        milli = self._quantity(sku, quantity)
        if milli <= 0:
            raise StockError("the quantity thrown away must be more than zero")
        return self._store.move([(sku, MovementKind.WASTE, -milli, None, reason.strip())], f"waste of {sku}")

    def transfer_file(self, path: Path, to: str, here: str) -> Received:
        """`sku,quantity`: every line or none, each a transfer-out from `here` to location `to` (its
        `why` is the destination, by which the shop's sync writes the arrival there)."""
        to = self._destination(to, here)
        lines: list[tuple[str, MovementKind, int, int | None, str]] = []
        seen: dict[str, int] = {}
        for number, row in read_rows(Path(path), ("sku", "quantity")):
            sku = csv_plain(row["sku"])
            try:
                milli = self._quantity(sku, row["quantity"])
                if milli <= 0:
                    raise StockError(f"quantity {row['quantity']} must be more than zero")
            except StockError as exc:
                raise CatalogImportError(number, str(exc)) from None
            if sku in seen:
                raise CatalogImportError(number, f"sku {sku} already on line {seen[sku]}")
            seen[sku] = number
            lines.append((sku, MovementKind.TRANSFER_OUT, -milli, None, to))
        ids = self._store.move(lines, f"transfer of {len(lines)} lines to {to}") if lines else []
        return Received(len(lines), tuple(ids))

    def transfer(self, sku: str, quantity: str, to: str, here: str) -> list[int]:
        """One product sent from `here` to location `to`."""
        to = self._destination(to, here)
        milli = self._quantity(sku, quantity)
        if milli <= 0:
            raise StockError("the quantity sent must be more than zero")
        return self._store.move([(sku, MovementKind.TRANSFER_OUT, -milli, None, to)], f"transfer of {sku} to {to}")

    @staticmethod
    def _destination(to: str, here: str) -> str:
        try:
            to = check_location(to)
        except SettingsError as exc:
            raise StockError(str(exc).rstrip(".")) from None
        if to == here:
            raise StockError(f"this till is at {here} already: name another location")
        return to

    def _cost(self, text: str) -> int | None:
        if not text:
            return None
        try:
            cost = Money.parse(text, self._currency())
        except MoneyError as exc:
            raise StockError(f"cost: {exc}") from None
        if cost.minor < 0:
            raise StockError("cost must not be negative")
        if cost.minor > MAX_PRICE_MINOR:  # the ledger's integer column, and a typo, not a cost
            raise StockError(f"cost {text} is more than {Money(MAX_PRICE_MINOR, cost.currency).major_text()}")
        return cost.minor

    def receive_file(self, path: Path) -> Received:
        """`sku,quantity[,cost]`: every line or none."""
        lines: list[tuple[str, MovementKind, int, int | None, str]] = []
        seen: dict[str, int] = {}
        for number, row in read_rows(Path(path), ("sku", "quantity"), ("cost",)):
            sku = csv_plain(row["sku"])
            try:
                milli = self._quantity(sku, row["quantity"])
                if milli <= 0:
                    raise StockError(f"quantity {row['quantity']} must be more than zero")
                cost_minor = self._cost(row.get("cost", ""))
            except StockError as exc:
                raise CatalogImportError(number, str(exc)) from None
            if sku in seen:
                raise CatalogImportError(number, f"sku {sku} already on line {seen[sku]}")
            seen[sku] = number
            lines.append((sku, MovementKind.DELIVERY, milli, cost_minor, f"delivery from {Path(path).name}"))
        ids = self._store.move(lines, f"delivery of {len(lines)} lines from a CSV file") if lines else []
        return Received(len(lines), tuple(ids))

    def read_count(self, path: Path) -> dict[str, int]:
        """`sku,counted`: what was counted on the shelf, checked line by line."""
        counted: dict[str, int] = {}
        seen: dict[str, int] = {}
        for number, row in read_rows(Path(path), ("sku", "counted")):
            sku = csv_plain(row["sku"])
            try:
                counted[sku] = self._quantity(sku, row["counted"])
            except StockError as exc:
                raise CatalogImportError(number, str(exc)) from None
            if sku in seen:
                raise CatalogImportError(number, f"sku {sku} already on line {seen[sku]}")
            seen[sku] = number
        return counted

    def count(self, counted: dict[str, int], *, approved_by: str, apply: bool = True) -> list[Variance]:
        """The variance of each counted line; applied (as count movements) only with a manager's approval."""
        for sku in counted:
            self._tracked(sku)
        if apply and not approved_by:
            raise StockError("a count changes stock only with a manager's approval")
        return self._store.count(counted, approved_by=approved_by, apply=apply)

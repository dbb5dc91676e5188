"""Stock as a ledger: what came in and went out of a product, never an on-hand column edited.

Quantities are exact decimals in the product's unit (each: whole; kg: three decimals). The ledger
keeps them as whole thousandths (`milli`), so a sum in SQL is exact and 3.250 kg is 3250. Each
movement's sign says its direction; its kind says why (a sale takes out, a delivery puts in, a count
puts the difference either way). On-hand is the sum, and may go below zero: selling never waits for
stock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from .errors import PosError

MILLI = 1000  # thousandths of a unit: the ledger's integer quantity
MAX_QUANTITY_MILLI = 10**12  # a billion units: a typo, not a delivery


class StockError(PosError, ValueError):
    pass


class Unit(StrEnum):
    EACH = "each"
    KG = "kg"

    @property
    def places(self) -> int:
        return 3 if self is Unit.KG else 0


def parse_unit(text: str) -> Unit:
    try:
        return Unit(text.strip().lower())
    except ValueError:
        raise StockError(f"unit {text.strip()!r} must be each or kg") from None


_QUANTITY = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?")


def parse_quantity(text: str, unit: Unit, *, negative: bool = False) -> Decimal:
    """A quantity typed or in a file: digits, a dot and up to the unit's decimals (kg: 3, each: none)."""
    cleaned = text.strip()
    match = _QUANTITY.fullmatch(cleaned)
    if match is None:
        raise StockError(f"quantity {cleaned!r} is not a number (use a dot for decimals, e.g. 1.250)")
    sign, _whole, fraction = match.groups()
    if sign and not negative:
        raise StockError(f"quantity {cleaned} must not be negative")
    if fraction and len(fraction.rstrip("0")) > unit.places:
        if unit.places == 0:
            raise StockError(f"quantity {cleaned} must be whole: this product is sold {unit.value}")
        raise StockError(f"quantity {cleaned} has more than {unit.places} decimals ({unit.value})")
    quantity = Decimal(cleaned)
    if abs(to_milli(quantity)) >= MAX_QUANTITY_MILLI:
        raise StockError(f"quantity {cleaned} is too large")
    return quantity.quantize(Decimal(1).scaleb(-unit.places))


def to_milli(quantity: Decimal) -> int:
    milli = quantity * MILLI
    if milli != milli.to_integral_value():
        raise StockError(f"quantity {quantity} has more than 3 decimals")
    return int(milli)


def from_milli(milli: int, unit: Unit) -> Decimal:
    """The quantity in its unit's places (a count in each is whole; in kg 3 decimals)."""
    exact = Decimal(milli).scaleb(-3)
    places = Decimal(1).scaleb(-unit.places)
    return exact.quantize(places) if exact == exact.quantize(places) else exact.quantize(Decimal("0.001"))


def format_quantity(milli: int, unit: Unit) -> str:
    """As exports show it: "12", "-3", "3.250"."""
    return str(from_milli(milli, unit))


class MovementKind(StrEnum):
    SALE = "sale"  # out: a paid sale's line (written with its receipt)
    REFUND = "refund"  # in: a returned line put back on the shelf
    WRITE_OFF = "write_off"  # a returned line not put back: recorded, moves nothing
    DELIVERY = "delivery"  # in: goods received, with their cost
    COUNT = "count"  # either way: counted less what the ledger said
    WASTE = "waste"  # out: broken, expired, eaten; with a reason
    TRANSFER_OUT = "transfer_out"  # out: sent to another location
    TRANSFER_IN = "transfer_in"  # in: from another location


# Which way each kind may move stock: +1 in, -1 out, 0 either (a count), None nothing.
DIRECTION: dict[MovementKind, int | None] = {
    MovementKind.SALE: -1,
    MovementKind.REFUND: 1,
    MovementKind.WRITE_OFF: None,
    MovementKind.DELIVERY: 1,
    MovementKind.COUNT: 0,
    MovementKind.WASTE: -1,
    MovementKind.TRANSFER_OUT: -1,
    MovementKind.TRANSFER_IN: 1,
}


def check_direction(kind: MovementKind, milli: int) -> None:
    """A movement's signed quantity agrees with its kind (a delivery never takes stock out)."""
    way = DIRECTION[kind]
    if way is None and milli != 0:
        raise StockError(f"a {kind.value} moves no stock")
    if way in (1, -1) and (milli == 0 or (milli > 0) != (way > 0)):
        raise StockError(f"a {kind.value} must move stock {'in' if way > 0 else 'out'}")


class Asks(StrEnum):
    """What a product added to a sale asks the cashier before its line is made."""

    NOTHING = "nothing"
    PRICE = "price"  # an open-price product: its price is typed
    WEIGHT = "weight"  # sold by the kg: its weight is typed


@dataclass(frozen=True)
class StockItem:
    """How a product is stocked: tracked or not, its unit, the level that raises an alert, and
    whether its price is asked at the till."""

    track_stock: bool = False
    unit: Unit = Unit.EACH
    low_stock_milli: int | None = None
    open_price: bool = False

    @property
    def asks(self) -> Asks:
        """What adding the product to a sale (scanned or tapped, no scale label) asks first."""
        if self.open_price:
            return Asks.PRICE
        return Asks.WEIGHT if self.unit is Unit.KG else Asks.NOTHING


@dataclass(frozen=True)
class Movement:
    id: int
    sku: str
    kind: MovementKind
    quantity_milli: int  # signed: + in, - out
    unit: Unit
    at: str
    who: str
    why: str
    cost_minor: int | None = None  # a delivery's cost per unit
    receipt: str = ""  # a sale's or refund's receipt ("T1-0004")


@dataclass(frozen=True)
class Level:
    sku: str
    name: str
    unit: Unit
    on_hand_milli: int
    low_stock_milli: int | None
    last_cost_minor: int | None = None

    @property
    def below(self) -> bool:
        return self.low_stock_milli is not None and self.on_hand_milli < self.low_stock_milli


@dataclass(frozen=True)
class Variance:
    """A counted line against the ledger: what the count moves."""

    sku: str
    unit: Unit
    expected_milli: int
    counted_milli: int

    @property
    def difference_milli(self) -> int:
        return self.counted_milli - self.expected_milli


def on_hand(movements: list[Movement]) -> dict[str, int]:
    """On-hand by SKU: the sum of the ledger (the rule the database's snapshot must agree with)."""
    out: dict[str, int] = {}
    for movement in movements:
        out[movement.sku] = out.get(movement.sku, 0) + movement.quantity_milli
    return out


STOCK_COLUMNS = ("track_stock", "unit", "low_stock", "open_price")


def _yes_no(row: dict[str, str], column: str) -> bool:
    value = (row.get(column) or "").strip().lower()
    if value in ("", "no"):
        return False
    if value == "yes":
        return True
    raise StockError(f"{column} {value!r} must be yes or no")


def stock_item_from_row(row: dict[str, str]) -> StockItem | None:
    """A catalog row's optional stock columns -> StockItem; None when the file has none of them (a
    file without them imports as before and leaves how a product is stocked alone)."""
    if not any(column in row for column in STOCK_COLUMNS):
        return None
    unit = parse_unit(row.get("unit") or "each")
    low = (row.get("low_stock") or "").strip()
    return StockItem(
        track_stock=_yes_no(row, "track_stock"),
        unit=unit,
        low_stock_milli=to_milli(parse_quantity(low, unit)) if low else None,
        open_price=_yes_no(row, "open_price"),
    )

"""The till's card reader: set it up, see what it is doing, show it the cart, and (test mode) play
its customer.

A reader is a Stripe Terminal smart reader driven from the server side: registered with a code
the reader shows (in test mode `simulated-wpe` makes a simulated one), in a Stripe location, and
chosen per till (the store settings of this till's data folder keep its id). Every call here goes
over the network: the UI runs them on a worker.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass, replace
from typing import Callable, Protocol

from pos.domain.cart import Cart
from pos.domain.errors import PosError
from pos.domain.money import Money

from .gateway import GatewayError, Location, NotAuthorized, Reader, RequestRejected
from .requests import CartLine, ShowCart
from .settings import Settings, SettingsError
from .states import ReaderActionStatus

log = logging.getLogger(__name__)

SIMULATED_CODE = "simulated-wpe"


class ReaderGateway(Protocol):
    def list_locations(self) -> list[Location]: ...
    def create_location(self, name: str, country: str) -> Location: ...
    def register_reader(self, registration_code: str, label: str, location_id: str) -> Reader: ...
    def list_readers(self, location_id: str | None = None) -> list[Reader]: ...
    def retrieve_reader(self, reader_id: str) -> Reader: ...
    def show_cart(self, reader_id: str, cart: ShowCart) -> Reader: ...
    def cancel_reader_action(self, reader_id: str, idempotency_key: str) -> Reader: ...
    def present_card(self, reader_id: str, card_number: str, tip: int = 0) -> Reader: ...


class ReaderError(PosError):
    """Setting up or reaching the reader failed; the message is for the shop owner or cashier."""


@dataclass(frozen=True)
class ReaderStatus:
    reader: Reader | None
    message: str  # what the settings page and the payment dialog say about it

    @property
    def ready(self) -> bool:
        return self.reader is not None and self.reader.online


def describe(reader: Reader) -> str:
    state = "online" if reader.online else "offline"
    doing = ""
    if reader.action is not None and reader.action.status is ReaderActionStatus.IN_PROGRESS:
        doing = ", taking a payment" if reader.action.type == "process_payment_intent" else ""
    return f"{reader.label} ({reader.device_type.replace('_', ' ')}, {state}{doing})"


class CardReaders:
    def __init__(self, gateway: ReaderGateway, settings: Settings, test_mode: Callable[[], bool]):
        self._gateway = gateway
        self._settings = settings
        self._test_mode = test_mode  # the customer may be simulated (demo, or a test key)
        # The reader's screen follows the cart: one update at a time, the latest asked for winning.
        self._display_lock = threading.Lock()
        self._display_asked = 0

    @property
    def reader_id(self) -> str | None:
        """The reader this till uses, if one is set up."""
        return self._settings.current.reader_id or None

    @property
    def tipping(self) -> bool:
        """Whether the reader offers the customer a tip screen (a store setting)."""
        return self._settings.current.reader_tipping

    def set_tipping(self, offered: bool) -> None:
        self._save(reader_tipping=offered)

    @property
    def test_mode(self) -> bool:
        """Stripe's test world (demo, or a test key): test payment methods and a simulated customer work."""
        return self._test_mode()

    @property
    def can_simulate(self) -> bool:
        return self._test_mode() and self.reader_id is not None

    def status(self) -> ReaderStatus:
        reader_id = self.reader_id
        if reader_id is None:
            return ReaderStatus(None, "No card reader is set up for this till.")
        try:
            reader = self._gateway.retrieve_reader(reader_id)
        except RequestRejected:
            return ReaderStatus(None, "The card reader set up for this till is gone at Stripe: register it again.")
        except GatewayError as exc:
            raise ReaderError(f"The card reader cannot be reached through Stripe just now ({exc}).") from exc
        return ReaderStatus(reader, describe(reader))

    def locations(self) -> list[Location]:
        try:
            return self._gateway.list_locations()
        except GatewayError as exc:
            raise ReaderError(f"Stripe's locations could not be read ({exc}).") from exc

    def register(
        self, registration_code: str, label: str = "", location_id: str | None = None, *, new_location: bool = False
    ) -> ReaderStatus:
        """Register the reader showing `registration_code` for this till, in a Stripe location: the one
        given, else a new one named after the store if asked, else the account's first (or a new one)."""
        code = registration_code.strip()
        if not code:
            raise ReaderError("Enter the registration code the reader shows.")
        store = self._settings.current
        label = label.strip() or f"{store.store_name} — till {store.till_id}"
        try:
            if location_id is None:
                found = self._gateway.list_locations()
                # The store's own location, if an earlier try made it (a wrong code, say): never a second one.
                named = [loc.id for loc in found if loc.name == store.store_name]
                if named:
                    location_id = named[0]
                elif found and not new_location:
                    location_id = found[0].id
                else:
                    location_id = self._gateway.create_location(store.store_name, _country(store.locale)).id
            reader = self._gateway.register_reader(code, label[:64], location_id)
        except NotAuthorized as exc:
            raise ReaderError(f"{exc}. Check the Stripe key in Settings.") from exc
        except RequestRejected as exc:
            raise ReaderError(f"Stripe did not take that registration code: {exc}") from exc
        except GatewayError as exc:
            raise ReaderError(f"The reader could not be registered just now ({exc}). Try again.") from exc
        self._remember(reader.id)
        return ReaderStatus(reader, describe(reader))

    def forget(self) -> None:
        self._save(reader_id="")

    def _remember(self, reader_id: str) -> None:
        self._save(reader_id=reader_id)

    def _save(self, **changes: object) -> None:
        try:
            self._settings.save(replace(self._settings.current, **changes))  # type: ignore[arg-type]
        except SettingsError as exc:
            raise ReaderError(str(exc)) from exc

    def ensure_simulated(self) -> ReaderStatus:
        """Demo mode: the till has a simulated reader without anyone setting it up."""
        status = self.status()  # ReaderError when Stripe cannot be asked: the demo goes on without a reader
        if status.reader is not None:
            return status
        return self.register(SIMULATED_CODE, "Demo reader")

    def display_for(self, cart: Cart) -> ShowCart | None:
        """What the reader should show for this cart (worked out on the caller's thread, where the
        cart lives); None when there is no reader or nothing to show."""
        if self.reader_id is None or cart.is_empty():
            return None
        totals = cart.totals()
        return ShowCart(
            tuple(CartLine(line.name, line.quantity, line.gross) for line in totals.lines),
            totals.tax,
            totals.total,
        )

    def show(self, display: ShowCart) -> bool:
        """Show the cart on the reader as it is built (best effort: a reader taking a payment, or out
        of reach, keeps what it shows). True when the reader took it."""
        reader_id = self.reader_id
        if reader_id is None:
            return False
        try:
            self._gateway.show_cart(reader_id, display)
        except GatewayError as exc:
            log.info("the reader did not take the cart: %s", exc)
            return False
        return True

    def clear(self) -> bool:
        """Clear the cart the reader shows (Stripe: cancel_action), back to its splash screen: when
        the cart empties or the sale ends, so the next customer never sees the last one's cart. Only
        a cart on the display is cancelled, never a payment; best effort, like `show`. True when
        the reader was cleared."""
        reader_id = self.reader_id
        if reader_id is None:
            return False
        try:
            action = self._gateway.retrieve_reader(reader_id).action
            if action is None or action.type != "set_reader_display":
                return False  # nothing shows, or a payment's screen (which the reader ends itself)
            if action.status is not ReaderActionStatus.IN_PROGRESS:
                return False
            self._gateway.cancel_reader_action(reader_id, f"clear-display-{uuid.uuid4()}")
        except GatewayError as exc:
            log.info("the reader's display was not cleared: %s", exc)
            return False
        return True

    def follow(self, display: ShowCart | None) -> Callable[[], bool]:
        """The reader's screen for the cart as it is now (`display_for`: None when it is empty),
        as a job for a worker: it shows the cart, or clears it. Asked on the UI thread; jobs run one
        at a time, and one overtaken by a later ask does nothing, so a slow show never lands after
        the clear that followed it."""
        self._display_asked += 1
        asked = self._display_asked

        def job() -> bool:
            with self._display_lock:
                if asked != self._display_asked:
                    return False
                return self.show(display) if display is not None else self.clear()

        return job

    def simulate(self, card_number: str, tip: Money | None = None) -> None:
        """Test mode only: the customer presents one of Stripe's test cards on the reader."""
        reader_id = self.reader_id
        if reader_id is None or not self._test_mode():
            raise ReaderError("A card can only be simulated in demo or test mode, on a set-up reader.")
        try:
            self._gateway.present_card(reader_id, card_number, tip.minor if tip else 0)
        except GatewayError as exc:
            raise ReaderError(f"The simulated card was not presented: {exc}") from exc


def _country(locale: str) -> str:
    """The store's country for a new Stripe location, from its locale (en_SG: SG)."""
    region = locale.replace("-", "_").partition("_")[2][:2].upper()
    return region or "US"

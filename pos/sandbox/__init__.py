"""A local Stripe test-mode sandbox that speaks Stripe's PaymentIntent API over HTTP.

    with running_sandbox() as sb:
        client = stripe.StripeClient("sk_test_x", base_addresses={"api": sb.url})

See README.md beside this file for the admin API (faults, clock, reset).
"""

from __future__ import annotations

from typing import Iterator

import contextlib
import threading

from .clock import Clock
from .faults import Faults, FaultRule
from .server import Exchange, SandboxServer
from .store import Store
from .versions import CURRENT as API_VERSION

__all__ = ["API_VERSION", "Exchange", "FaultRule", "Sandbox", "running_sandbox"]


class Sandbox:
    """A sandbox served from a background thread of this process."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        db: str | None = None,
        *,
        api_version: str = API_VERSION,
        search_lag: float = 0.0,
        recorder=None,
    ):
        """`api_version` is the account's default (for requests without `Stripe-Version`);
        `search_lag` delays what search sees by that many seconds of the sandbox's clock;
        `recorder(exchange)` is called with every API request and its answer."""
        self.store = Store(db)
        self.clock = Clock()
        self.faults = Faults()
        try:
            self._server = SandboxServer(
                host,
                port,
                self.store,
                self.clock,
                self.faults,
                api_version=api_version,
                search_lag=search_lag,
                recorder=recorder,
            )
        except BaseException:
            self.store.close()
            raise
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host.decode() if isinstance(host, bytes) else host}:{port}"

    def start(self) -> "Sandbox":
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="stripe-sandbox", kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self.close()

    def close(self) -> None:
        self._server.server_close()
        self.store.close()

    @property
    def api(self):
        return self._server.api

    @contextlib.contextmanager
    def recording(self) -> Iterator[list[Exchange]]:
        """Collect every API request and its answer (`Exchange`s) while the block runs."""
        exchanges: list[Exchange] = []
        previous, self._server.recorder = self._server.recorder, exchanges.append
        try:
            yield exchanges
        finally:
            self._server.recorder = previous

    # -- a simulated reader's faults (the admin API's /_sandbox/terminal/readers/...) ------------
    def _reader(self, reader_id: str) -> tuple[str, dict]:
        found = self.store.find("terminal.reader", reader_id)
        if found is None:
            raise LookupError(f"no reader {reader_id}")
        return found

    def set_reader(self, reader_id: str, *, online: bool | None = None, unresponsive: bool | None = None) -> None:
        """Take a reader offline (or back), or make it not answer the API in time."""
        with self.store.lock:
            account, reader = self._reader(reader_id)
            if online is not None:
                reader["status"] = "online" if online else "offline"
            if unresponsive is not None:
                reader["_unresponsive"] = unresponsive
            self.store.put(account, "terminal.reader", reader)
            self.store.flush()

    def customer_cancels(self, reader_id: str) -> None:
        """The customer presses Cancel on the reader."""
        from .api import Caller

        with self.store.lock:
            account, _reader = self._reader(reader_id)
            self.api.customer_cancels(Caller(account), reader_id)
            self.store.flush()

    def reader(self, reader_id: str) -> dict:
        """The reader as the API shows it (tests wait on its action)."""
        with self.store.lock:
            return self.api._public(self._reader(reader_id)[1])

    def reset(self) -> None:
        self.store.reset()
        self.faults.clear()
        self._server.api.search.clear()


@contextlib.contextmanager
def running_sandbox(host: str = "127.0.0.1", port: int = 0, db: str | None = None, **options):
    sandbox = Sandbox(host, port, db, **options).start()
    try:
        yield sandbox
    finally:
        sandbox.stop()

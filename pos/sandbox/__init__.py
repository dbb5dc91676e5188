"""A local Stripe test-mode sandbox that speaks Stripe's PaymentIntent API over HTTP.

    with running_sandbox() as sb:
        client = stripe.StripeClient("sk_test_x", base_addresses={"api": sb.url})

See README.md beside this file for the admin API (faults, clock, reset).
"""

from __future__ import annotations

import contextlib
import threading

from .clock import Clock
from .faults import Faults, FaultRule
from .server import SandboxServer
from .store import Store

__all__ = ["Sandbox", "running_sandbox", "FaultRule"]


class Sandbox:
    """A sandbox served from a background thread of this process."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, db: str | None = None):
        self.store = Store(db)
        self.clock = Clock()
        self.faults = Faults()
        self._server = SandboxServer(host, port, self.store, self.clock, self.faults)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "Sandbox":
        self._thread = threading.Thread(target=self._server.serve_forever, name="stripe-sandbox",
                                        kwargs={"poll_interval": 0.05}, daemon=True)
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

    def reset(self) -> None:
        self.store.reset()
        self.faults.clear()


@contextlib.contextmanager
def running_sandbox(host: str = "127.0.0.1", port: int = 0, db: str | None = None):
    sandbox = Sandbox(host, port, db).start()
    try:
        yield sandbox
    finally:
        sandbox.stop()

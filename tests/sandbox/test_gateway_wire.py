"""The Stripe adapter's per-request cost, counted, not timed (issue 27): what it sends is what the
SDK's typed methods send, its answers are read without StripeObjects, the environment is read
once when the gateway is built (a proxy set there is still used), and one connection is kept
alive for every thread. All over real HTTP against the sandbox."""

from __future__ import annotations

import http.client
import json
import os
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import requests
import stripe
import urllib3

from pos.adapters import stripe_params
from pos.adapters.stripe_gateway import (
    lean_http_client,
    DEFAULT_TIMEOUT,
    StripeGateway,
    _intent,
    _reader,
    _refund,
)
from pos.domain.money import Money
from pos.services.gateway import Location
from pos.services.requests import CartLine, ConfirmIntent, CreateIntent, CreateRefund, LabelIntent, ShowCart

TELEMETRY = "X-Stripe-Client-Telemetry"
GENERATED_KEY = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture
def quiet_env(monkeypatch):
    """No proxy in the environment unless a test sets one (the machine's own must not leak in)."""
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


@pytest.fixture
def sent(monkeypatch):
    """Every request as `requests`' adapter is asked to send it (the last step before urllib3):
    method, URL, headers in order, body, and the adapter's settings (timeout, verify, proxies...).
    The telemetry header carries the last request's duration, so only the usage it reports is
    kept; a POST sent without a key gets a random one from the SDK, kept as "generated"."""
    seen: list[tuple] = []
    original = requests.adapters.HTTPAdapter.send

    def recording(self, request, **kwargs):
        headers = []
        usage = None
        for name, value in request.headers.items():
            if name == TELEMETRY:
                usage = json.loads(value)["last_request_metrics"].get("usage")
                value = "present"
            elif name == "Idempotency-Key" and GENERATED_KEY.fullmatch(value):
                value = "generated"
            headers.append((name, value))
        seen.append((request.method, request.url, headers, request.body, usage, sorted(kwargs.items())))
        return original(self, request, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", recording)
    return seen


def _sale(i: int = 1) -> CreateIntent:
    return CreateIntent(amount=Money(1030, "SGD"), sale_key=f"sale-{i}", till_id="T1")


def test_the_gateway_sends_what_the_typed_sdk_methods_send(sandbox, api_key, quiet_env, sent):
    """Each call the till makes, sent by the gateway and then by the SDK's typed service method on the
    SDK's own transport (a `requests.Session`) with the same parameters and key (a replay): the same
    method, URL, headers in the same order, body, telemetry usage and adapter settings, and the same
    Intent read from both answers."""
    gateway = StripeGateway(api_key, sandbox.url)
    sdk = stripe.StripeClient(
        api_key,
        base_addresses={"api": sandbox.url},
        max_network_retries=2,
        http_client=stripe.RequestsClient(timeout=DEFAULT_TIMEOUT),
    )
    pis = sdk.v1.payment_intents
    # A first request each, so the telemetry of every compared one is there to compare.
    gateway.check_key()
    sdk.v1.payment_intents.list(stripe_params.KEY_CHECK_PARAMS)
    created = gateway.create_payment_intent(_sale(1), "k-create")
    spare = gateway.create_payment_intent(_sale(2), "k-spare")
    confirm = stripe_params.confirm_params(ConfirmIntent("pm_card_visa"))
    refund = CreateRefund(
        payment_intent=created.id, amount=Money(100, "SGD"), reason=None, refund_key="r1", receipt_no=7, till_id="T1"
    )
    cases = [
        (
            lambda: gateway.create_payment_intent(_sale(1), "k-create"),
            lambda: pis.create(stripe_params.create_params(_sale(1)), {"idempotency_key": "k-create"}),
            _intent,
        ),
        (
            lambda: gateway.confirm_payment_intent(created.id, ConfirmIntent("pm_card_visa"), "k-confirm"),
            lambda: pis.confirm(created.id, confirm, {"idempotency_key": "k-confirm"}),
            _intent,
        ),
        (
            lambda: gateway.retrieve_payment_intent(created.id),
            lambda: pis.retrieve(created.id, stripe_params.RETRIEVE_PARAMS),
            _intent,
        ),
        (
            lambda: gateway.label_payment_intent(created.id, LabelIntent("7"), "k-label"),
            lambda: pis.update(
                created.id, stripe_params.label_params(LabelIntent("7")), {"idempotency_key": "k-label"}
            ),
            _intent,
        ),
        (
            lambda: gateway.cancel_payment_intent(spare.id, "k-cancel"),
            lambda: pis.cancel(spare.id, stripe_params.CANCEL_PARAMS, {"idempotency_key": "k-cancel"}),
            _intent,
        ),
        (
            lambda: gateway.find_payment_intents("sale-1"),
            lambda: pis.search(stripe_params.search_query("sale-1")),
            lambda r: [_intent(pi) for pi in r.data],
        ),
        (
            lambda: gateway.create_refund(refund, "k-refund"),
            lambda: sdk.v1.refunds.create(stripe_params.refund_params(refund), {"idempotency_key": "k-refund"}),
            _refund,
        ),
        (
            lambda: gateway.list_refunds(created.id),
            lambda: sdk.v1.refunds.list(stripe_params.refund_list_params(created.id)),
            lambda r: [_refund(x) for x in r.data],
        ),
    ]
    for ours, theirs, read in cases:
        del sent[:]
        answer = ours()
        expected = read(theirs())
        assert len(sent) == 2
        assert sent[0] == sent[1]
        assert answer == expected
    assert created.status.value == "requires_payment_method"


def test_the_gateway_sends_what_the_typed_sdk_methods_send_for_a_reader(sandbox, api_key, quiet_env, sent):
    """The same for Stripe Terminal: locations, readers, the reader's actions and the test helper."""
    gateway = StripeGateway(api_key, sandbox.url)
    sdk = stripe.StripeClient(
        api_key, base_addresses={"api": sandbox.url}, http_client=stripe.RequestsClient(timeout=DEFAULT_TIMEOUT)
    )
    readers = sdk.v1.terminal.readers
    gateway.check_key()
    sdk.v1.payment_intents.list(stripe_params.KEY_CHECK_PARAMS)
    location = gateway.create_location("Front", "SG")
    reader = gateway.register_reader("simulated-wpe", "Till 1", location.id)
    on_reader = CreateIntent(amount=Money(450, "SGD"), sale_key="sale-r", till_id="T1", on_reader=True)
    intent = gateway.create_payment_intent(on_reader, "k-r")
    cart = ShowCart(
        lines=(CartLine(description="Tea", amount=Money(450, "SGD"), quantity=1),),
        tax=Money(37, "SGD"),
        total=Money(450, "SGD"),
    )
    cases = [
        (
            gateway.list_locations,
            lambda: [Location(loc.id, loc.display_name) for loc in sdk.v1.terminal.locations.list({"limit": 100}).data],
        ),
        (
            lambda: gateway.list_readers(location.id),
            lambda: [_reader(r) for r in readers.list(stripe_params.reader_list_params(location.id)).data],
        ),
        (
            lambda: gateway.show_cart(reader.id, cart),
            lambda: _reader(readers.set_reader_display(reader.id, stripe_params.display_params(cart))),
        ),
        (
            lambda: gateway.process_on_reader(reader.id, intent.id, "k-p"),
            lambda: _reader(
                readers.process_payment_intent(
                    reader.id, stripe_params.process_params(intent.id, False), {"idempotency_key": "k-p"}
                )
            ),
        ),
        (lambda: gateway.retrieve_reader(reader.id), lambda: _reader(readers.retrieve(reader.id))),
        (
            lambda: gateway.cancel_reader_action(reader.id, "k-x"),
            lambda: _reader(readers.cancel_action(reader.id, {}, {"idempotency_key": "k-x"})),
        ),
    ]
    for ours, theirs in cases:
        del sent[:]
        answer = ours()
        expected = theirs()
        assert len(sent) == 2
        assert sent[0] == sent[1]
        assert answer == expected
    # Sent twice, the helper would tap twice: compare what goes out, one call each on two readers.
    other = gateway.register_reader("simulated-wpe", "Till 2", location.id)
    second = gateway.create_payment_intent(CreateIntent(Money(450, "SGD"), "sale-s", "T1", True), "k-s")
    gateway.process_on_reader(reader.id, intent.id, "k-p2")
    gateway.process_on_reader(other.id, second.id, "k-p3")
    del sent[:]
    tapped = gateway.present_card(reader.id, "4242424242424242", tip=50)
    tapped_sdk = _reader(
        sdk.v1.test_helpers.terminal.readers.present_payment_method(
            other.id, stripe_params.present_params("4242424242424242", 50)
        )
    )
    assert [s[0] for s in sent] == ["POST", "POST"]
    assert sent[0][1].replace(reader.id, "R") == sent[1][1].replace(other.id, "R")
    assert sent[0][2:] == sent[1][2:]
    assert tapped.action is not None and tapped_sdk.action is not None
    assert tapped.action.status == tapped_sdk.action.status
    assert location.name == "Front" and len(gateway.list_readers(location.id)) == 2


def _count_calls(fn) -> int:
    """Python function calls made by fn on this thread (the sandbox's server threads are not counted)."""
    calls = 0

    def profile(frame, event, arg):
        nonlocal calls
        if event == "call":
            calls += 1

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return calls


def test_an_answer_is_read_without_stripe_objects(sandbox, api_key, quiet_env, monkeypatch):
    """A card sale's two answers (the intent, then the intent with its charge expanded) were turned
    into 21 StripeObjects a sale, filled key by key, to read a few fields: none now; the Python
    calls per request are counted (4,400 before, about 1,050 now: old client, same counter)."""
    gateway = StripeGateway(api_key, sandbox.url)
    built = 0
    original = stripe.StripeObject._refresh_from

    def counting(self, *args, **kwargs):
        nonlocal built
        built += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(stripe.StripeObject, "_refresh_from", counting)

    def sales(n):
        for i in range(n):
            intent = gateway.create_payment_intent(_sale(i), f"c{i}")
            paid = gateway.confirm_payment_intent(intent.id, ConfirmIntent("pm_card_visa"), f"f{i}")
            assert paid.status.value == "succeeded" and paid.card_last4 == "4242"

    sales(2)  # warm: the connection is open, the modules imported
    calls = _count_calls(lambda: sales(10))
    assert built == 0
    assert calls / 20 < 2000, f"{calls / 20:.0f} Python calls per request"


def _environ_reads(monkeypatch) -> list[int]:
    count = [0, 0]  # reads by name, walks through all
    getitem, iterate = os._Environ.__getitem__, os._Environ.__iter__

    def counted_getitem(self, key):
        count[0] += 1
        return getitem(self, key)

    def counted_iter(self):
        count[1] += 1
        return iterate(self)

    monkeypatch.setattr(os._Environ, "__getitem__", counted_getitem)
    monkeypatch.setattr(os._Environ, "__iter__", counted_iter)
    return count


def test_the_environment_is_not_read_per_request(sandbox, api_key, quiet_env, monkeypatch):
    """`requests` with trust_env walked every environment variable (for proxies, twice) and looked
    for ~/.netrc on every request: 164 reads a request here before. The gateway reads that once,
    built. What is left is the SDK's own header building (its user agent names an AI agent found
    in the environment: a dozen named variables, the bare client's cost as well)."""
    gateway = StripeGateway(api_key, sandbox.url)
    gateway.check_key()
    reads = _environ_reads(monkeypatch)
    for i in range(5):
        intent = gateway.create_payment_intent(_sale(i), f"c{i}")
        gateway.confirm_payment_intent(intent.id, ConfirmIntent("pm_card_visa"), f"f{i}")
    by_name, walks = reads
    assert walks == 0
    assert by_name / 10 <= 12, f"{by_name / 10:.0f} environment reads per request"


class _Proxy(ThreadingHTTPServer):
    """A forward proxy on loopback: takes `POST http://host:port/path` and passes it on, counting."""

    daemon_threads = True

    def __init__(self):
        self.forwarded: list[str] = []
        super().__init__(("127.0.0.1", 0), _ProxyHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _forward(self):
        target = urlsplit(self.path)  # absolute form: the client knows it talks to a proxy
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.forwarded.append(f"{self.command} {target.path}")
        upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")}
        upstream.request(self.command, target.path + (f"?{target.query}" if target.query else ""), body, headers)
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()

    do_GET = do_POST = _forward

    def log_message(self, *args):
        pass


@pytest.fixture
def proxy():
    server = _Proxy()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_proxy_in_the_environment_when_the_gateway_is_built_is_used(sandbox, api_key, quiet_env, proxy):
    quiet_env.setenv("HTTP_PROXY", proxy.url)
    gateway = StripeGateway(api_key, sandbox.url)
    quiet_env.delenv("HTTP_PROXY")  # read once, when built: the gateway keeps it
    intent = gateway.create_payment_intent(_sale(1), "c1")
    gateway.confirm_payment_intent(intent.id, ConfirmIntent("pm_card_visa"), "f1")
    assert proxy.forwarded == ["POST /v1/payment_intents", f"POST /v1/payment_intents/{intent.id}/confirm"]


def test_no_proxy_in_the_environment_when_built_still_bypasses_it(sandbox, api_key, quiet_env, proxy):
    quiet_env.setenv("HTTP_PROXY", proxy.url)
    quiet_env.setenv("NO_PROXY", "127.0.0.1")
    StripeGateway(api_key, sandbox.url).check_key()
    quiet_env.delenv("HTTP_PROXY")
    quiet_env.delenv("NO_PROXY")
    StripeGateway(api_key, sandbox.url).check_key()
    assert proxy.forwarded == []


def test_one_connection_is_kept_alive_for_every_thread(sandbox, api_key, quiet_env, monkeypatch):
    """The app calls Stripe from the UI's worker threads: one session for all of them, so a new
    worker reuses the open connection (the client's default, a session per thread, opened one each)."""
    opened = 0
    original = urllib3.connectionpool.HTTPConnectionPool._new_conn

    def counting(self):
        nonlocal opened
        opened += 1
        return original(self)

    monkeypatch.setattr(urllib3.connectionpool.HTTPConnectionPool, "_new_conn", counting)
    gateway = StripeGateway(api_key, sandbox.url)
    gateway.check_key()
    for _ in range(3):
        worker = threading.Thread(target=gateway.check_key)
        worker.start()
        worker.join()
    for i in range(3):
        intent = gateway.create_payment_intent(_sale(i), f"c{i}")
        gateway.confirm_payment_intent(intent.id, ConfirmIntent("pm_card_visa"), f"f{i}")
    assert opened == 1


def _failure(http_client, url: str, api_key: str, key: str) -> tuple[type, bool, str]:
    client = stripe.StripeClient(api_key, base_addresses={"api": url}, max_network_retries=0, http_client=http_client)
    with pytest.raises(stripe.StripeError) as caught:
        client.v1.payment_intents.create({"amount": 100, "currency": "sgd"}, {"idempotency_key": key})
    error = caught.value
    # The exception's class inside the message says which requests error it was (Timeout, ConnectionError...).
    cause = type(error.__cause__).__name__ if error.__cause__ else ""
    return type(error), getattr(error, "should_retry", False), cause


@pytest.mark.parametrize("fault", ["refused", "dropped", "timeout"])
def test_a_network_failure_is_the_same_error_as_on_the_sdks_transport(sandbox, api_key, quiet_env, fault):
    """The lean transport skips the session layer, not `requests`' adapter: a refused connection, an
    answer lost after the work was done, and a read timeout are the same APIConnectionError, with
    the same retry decision, as on the SDK's own `requests.Session` transport."""
    timeout = (1.0, 0.5)
    url = sandbox.url
    if fault == "refused":
        import socket

        with socket.socket() as free:  # a port nothing listens on
            free.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{free.getsockname()[1]}"
    outcomes = []
    for n, transport in enumerate((lean_http_client(url, timeout), stripe.RequestsClient(timeout=timeout))):
        rule = None
        if fault == "dropped":
            rule = sandbox.faults.arm("/v1/payment_intents", method="POST", drop=True)
        elif fault == "timeout":
            rule = sandbox.faults.arm("/v1/payment_intents", method="POST", hold=True)
        outcomes.append(_failure(transport, url, api_key, f"{fault}-{n}"))  # a new key: not a replay
        if rule is not None and fault == "timeout":
            rule.release()
            rule.wait_done()
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] is stripe.APIConnectionError and outcomes[0][1] is True


def test_a_lost_answer_is_sent_again_with_the_same_key_and_charges_once(sandbox, api_key, quiet_env, sent):
    gateway = StripeGateway(api_key, sandbox.url, max_network_retries=2)
    intent = gateway.create_payment_intent(_sale(9), "c9")
    sandbox.faults.arm(f"/v1/payment_intents/{intent.id}/confirm", method="POST", drop=True)
    del sent[:]
    paid = gateway.confirm_payment_intent(intent.id, ConfirmIntent("pm_card_visa"), "f9")
    assert paid.status.value == "succeeded" and paid.amount_received == 1030
    keys = [dict(headers)["Idempotency-Key"] for _, url, headers, *_ in sent if url.endswith("/confirm")]
    assert keys == ["f9", "f9"]  # sent, answer lost, sent again with the same key: one charge
    charges = stripe.StripeClient(api_key, base_addresses={"api": sandbox.url}).v1.charges.list().data
    assert [c.payment_intent for c in charges] == [intent.id]

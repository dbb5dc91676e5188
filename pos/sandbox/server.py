"""The HTTP side of the sandbox: Stripe's wire protocol on a loopback port.

Requests are authenticated, checked against armed faults and the idempotency
layer, then handed to `StripeAPI` under the store's lock. A response is sent
in one write with Nagle off, so keep-alive clients see no 40 ms stalls.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import logging
import re
import secrets
import socket
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import urlsplit

from . import definitions, errors, forms, params, versions
from .api import Caller, StripeAPI
from .clock import Clock
from .faults import Faults
from .store import IdempotencyRecord, Store

log = logging.getLogger("pos.sandbox")


@dataclass(frozen=True)
class Exchange:
    """One API request and its answer, as a recorder sees it (tests check the till's calls with it)."""

    method: str
    path: str
    params_type: str | None
    params: dict
    version: str | None
    status: int
    body: str


IDEMPOTENCY_WINDOW_S = 24 * 3600
HOLD_LIMIT_S = 120
# https://docs.stripe.com/api/idempotent_requests: "Keys can be up to 255 characters long."
IDEMPOTENCY_KEY_MAX = 255
_KEY = re.compile(r"(sk|rk|pk)_(test|live)_([A-Za-z0-9]+)")

# (method, path regex, handler name, allowed with a publishable key, the SDK's params type for
# the call, what it returns: an object kind, or list:/search: of one)
ROUTES = [
    ("POST", r"/v1/payment_intents", "create_payment_intent", False, "PaymentIntentCreateParams", "payment_intent"),
    ("GET", r"/v1/payment_intents", "list_payment_intents", False, "PaymentIntentListParams", "list:payment_intent"),
    (
        "GET",
        r"/v1/payment_intents/search",
        "search_payment_intents",
        False,
        "PaymentIntentSearchParams",
        "search:payment_intent",
    ),
    (
        "GET",
        r"/v1/payment_intents/([^/]+)",
        "retrieve_payment_intent",
        True,
        "PaymentIntentRetrieveParams",
        "payment_intent",
    ),
    (
        "POST",
        r"/v1/payment_intents/([^/]+)",
        "update_payment_intent",
        False,
        "PaymentIntentUpdateParams",
        "payment_intent",
    ),
    (
        "POST",
        r"/v1/payment_intents/([^/]+)/confirm",
        "confirm_payment_intent",
        True,
        "PaymentIntentConfirmParams",
        "payment_intent",
    ),
    (
        "POST",
        r"/v1/payment_intents/([^/]+)/cancel",
        "cancel_payment_intent",
        False,
        "PaymentIntentCancelParams",
        "payment_intent",
    ),
    (
        "POST",
        r"/v1/payment_intents/([^/]+)/capture",
        "capture_payment_intent",
        False,
        "PaymentIntentCaptureParams",
        "payment_intent",
    ),
    (
        "GET",
        r"/v1/payment_methods/([^/]+)",
        "retrieve_payment_method",
        False,
        "PaymentMethodRetrieveParams",
        "payment_method",
    ),
    ("GET", r"/v1/charges", "list_charges", False, "ChargeListParams", "list:charge"),
    ("GET", r"/v1/charges/([^/]+)", "retrieve_charge", False, "ChargeRetrieveParams", "charge"),
    ("POST", r"/v1/refunds", "create_refund", False, "RefundCreateParams", "refund"),
    ("GET", r"/v1/refunds", "list_refunds", False, "RefundListParams", "list:refund"),
    ("GET", r"/v1/refunds/([^/]+)", "retrieve_refund", False, "RefundRetrieveParams", "refund"),
    # Stripe Terminal, server-driven (terminal.py)
    (
        "POST",
        r"/v1/terminal/locations",
        "create_location",
        False,
        "terminal.LocationCreateParams",
        "terminal.location",
    ),
    (
        "GET",
        r"/v1/terminal/locations",
        "list_locations",
        False,
        "terminal.LocationListParams",
        "list:terminal.location",
    ),
    (
        "GET",
        r"/v1/terminal/locations/([^/]+)",
        "retrieve_location",
        False,
        "terminal.LocationRetrieveParams",
        "terminal.location",
    ),
    ("POST", r"/v1/terminal/readers", "create_reader", False, "terminal.ReaderCreateParams", "terminal.reader"),
    ("GET", r"/v1/terminal/readers", "list_readers", False, "terminal.ReaderListParams", "list:terminal.reader"),
    (
        "GET",
        r"/v1/terminal/readers/([^/]+)",
        "retrieve_reader",
        False,
        "terminal.ReaderRetrieveParams",
        "terminal.reader",
    ),
    ("POST", r"/v1/terminal/readers/([^/]+)", "update_reader", False, "terminal.ReaderUpdateParams", "terminal.reader"),
    (
        "DELETE",
        r"/v1/terminal/readers/([^/]+)",
        "delete_reader",
        False,
        "terminal.ReaderDeleteParams",
        "deleted:terminal.reader",
    ),
    (
        "POST",
        r"/v1/terminal/readers/([^/]+)/process_payment_intent",
        "process_payment_intent",
        False,
        "terminal.ReaderProcessPaymentIntentParams",
        "terminal.reader",
    ),
    (
        "POST",
        r"/v1/terminal/readers/([^/]+)/cancel_action",
        "cancel_action",
        False,
        "terminal.ReaderCancelActionParams",
        "terminal.reader",
    ),
    (
        "POST",
        r"/v1/terminal/readers/([^/]+)/set_reader_display",
        "set_reader_display",
        False,
        "terminal.ReaderSetReaderDisplayParams",
        "terminal.reader",
    ),
    (
        "POST",
        r"/v1/test_helpers/terminal/readers/([^/]+)/present_payment_method",
        "present_payment_method",
        False,
        "test_helpers.terminal.ReaderPresentPaymentMethodParams",
        "terminal.reader",
    ),
]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern
    handler: str
    publishable_ok: bool
    params_type: str
    returns: str


_ROUTES = [Route(m, re.compile(p + r"/?"), h, pk, t, r) for m, p, h, pk, t, r in ROUTES]


def mask_key(key: str) -> str:
    """Stripe's way (as in the 2020 samples, `pk_test_KA****…VzAM`): the key's prefix and two more
    characters, an asterisk for each hidden one, the last four."""
    match = re.match(r"(?:sk|rk|pk)_(?:test|live)_", key)
    shown = len(match.group(0)) + 2 if match else 0
    if len(key) - shown <= 4:
        return "*" * len(key)
    return key[:shown] + "*" * (len(key) - shown - 4) + key[-4:]


def authenticate(header: str | None, version: versions.ApiVersion) -> Caller:
    if not header:
        raise errors.authentication(
            "You did not provide an API key. You need to provide your API key in the Authorization "
            "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
        )
    scheme, _, credential = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            credential = base64.b64decode(credential).decode().partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            credential = ""
    elif scheme.lower() != "bearer":
        credential = ""
    match = _KEY.fullmatch(credential.strip())
    if not match:
        raise errors.authentication(f"Invalid API Key provided: {mask_key(credential)}")
    kind, mode, secret = match.groups()
    if mode == "live":
        raise errors.authentication(
            "This is Stripe's test-mode sandbox: it takes test keys only (sk_test_, rk_test_, "
            "pk_test_). Live keys move real money and are refused here."
        )
    account = "acct_" + hashlib.sha256(secret.encode()).hexdigest()[:16]
    return Caller(account=account, publishable=(kind == "pk"), version=version)


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        host: str,
        port: int,
        store: Store,
        clock: Clock,
        faults: Faults,
        *,
        api_version: str = versions.CURRENT,
        search_lag: float = 0.0,
        recorder: Callable[[Exchange], None] | None = None,
    ):
        try:
            address = ipaddress.ip_address(socket.gethostbyname(host))
        except (OSError, ValueError):
            raise ValueError(f"the sandbox binds an IPv4 loopback address only, not {host!r}") from None
        if not address.is_loopback:
            raise ValueError(f"the sandbox binds loopback addresses only (127.0.0.0/8), not {host!r}")
        self.store, self.clock, self.faults = store, clock, faults
        # The account's default, for requests without a header: held to the same rule as the header.
        self.default_version = versions.parse(api_version, clock.today())
        self.recorder = recorder
        self.api = StripeAPI(store, clock, search_lag)
        super().__init__((host, port), Handler)

    def handle_error(self, request, client_address):
        # A client that hangs up (killed till, timeout) is routine here, not a server fault.
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            log.debug("client %s went away", client_address)
            return
        log.exception("error while serving %s", client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "stripe-sandbox"
    sys_version = ""
    disable_nagle_algorithm = True
    server: SandboxServer

    def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler's name
        # Request lines carry no secrets (keys travel in headers), but keep them quiet.
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_DELETE(self):
        self._handle("DELETE")

    # -- plumbing ----------------------------------------------------------
    def _send(
        self, status: int, body: dict | str, headers: dict | None = None, version: versions.ApiVersion | None = None
    ) -> None:
        payload = (body if isinstance(body, str) else json.dumps(body, indent=2)).encode()
        head = [
            f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}",
            "Content-Type: application/json",
            f"Content-Length: {len(payload)}",
            f"Request-Id: req_{secrets.token_hex(7)}",
            "Access-Control-Allow-Origin: *",
        ]
        if version is not None:
            # Stripe names the version that answered.
            head.append(f"Stripe-Version: {version}")
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if self.close_connection:
            head.append("Connection: close")
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
        self.log_request(status, len(payload))

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _read_body(self) -> str:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode() if length else ""

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        body = self._read_body()
        if url.path.startswith("/_sandbox/"):
            return self._admin(method, url.path, body)
        route, version = None, None
        params_: dict = {}

        def answer(status, payload, headers=None):
            # Recorded before it is sent: a client that has its answer finds the exchange recorded.
            if self.server.recorder is not None:
                text = payload if isinstance(payload, str) else json.dumps(payload)
                self.server.recorder(
                    Exchange(
                        method,
                        url.path,
                        route.params_type if route else None,
                        params_,
                        str(version) if version else None,
                        status,
                        text,
                    )
                )
            self._send(status, payload, headers, version)

        try:
            header = self.headers.get("Stripe-Version")
            if header is not None:
                version = versions.parse(header, self.server.clock.today())
            else:
                version = self.server.default_version
            params_ = forms.decode(url.query if method == "GET" else body)
            caller = authenticate(self.headers.get("Authorization"), version)
            route = self._route(method, url.path)
            if caller.publishable and not route.publishable_ok:
                raise errors.authentication(
                    "This API call cannot be made with a publishable API key. Please use a secret API key."
                )
        except forms.FormError as exc:
            return answer(400, errors.invalid_request(str(exc), param=exc.param).envelope())
        except errors.StripeError as exc:
            return answer(exc.status, exc.envelope(), exc.headers)

        fault = self.server.faults.take(method, url.path)
        if fault and fault.status is not None:
            return self._send_fault(fault, version)

        key = self.headers.get("Idempotency-Key") if method == "POST" else None
        if key is not None and len(key) > IDEMPOTENCY_KEY_MAX:
            err = errors.invalid_request(
                f"Idempotency keys can be at most {IDEMPOTENCY_KEY_MAX} characters long; this one has "
                f"{len(key)}. Use a shorter key, such as a V4 UUID."
            )
            return answer(400, err.envelope())
        if key:
            replay = self._begin_idempotent(caller, key, method, url.path, params_)
            if replay is not None:
                # A replayed answer can be slow or lost on the way like any other.
                if fault and fault.delay_ms:
                    time.sleep(fault.delay_ms / 1000)
                if fault and fault.drop:
                    return self._drop()
                status, payload, headers = replay
                return answer(status, payload, headers)
        if fault and fault.delay_ms:
            time.sleep(fault.delay_ms / 1000)
        if fault and fault.hold:
            fault.arrived.set()
            fault.released.wait(HOLD_LIMIT_S)  # a forgotten release never hangs the sandbox for good

        store = self.server.store
        with store.lock:
            status, payload, headers, saved = self._execute(caller, route, params_)
            if key:
                if saved:
                    store.finish_idempotency(caller.account, key, status, payload)
                else:
                    store.release_idempotency(caller.account, key)
            store.flush()
        if fault and fault.hold:
            fault.done.set()
        if fault and fault.drop:
            return self._drop()
        headers = dict(headers)
        if key:
            headers["Idempotency-Key"] = key
        answer(status, payload, headers)

    def _route(self, method: str, path: str) -> Route:
        known_path = False
        for route in _ROUTES:
            if route.pattern.fullmatch(path):
                known_path = True
                if route.method == method:
                    return route
        if known_path:
            raise errors.invalid_request(f"Unrecognized request URL ({method}: {path}).", status=404)
        raise errors.invalid_request(
            f"Unrecognized request URL ({method}: {path}). This sandbox serves PaymentIntents, "
            "PaymentMethods, Charges, Refunds and Terminal locations and readers.",
            status=404,
        )

    def _execute(self, caller: Caller, route: Route, p: dict):
        """Run one API call: (status, JSON text, headers, whether an idempotency key keeps it)."""
        api = self.server.api
        try:
            if route.handler in ("create_payment_intent", "update_payment_intent", "confirm_payment_intent"):
                params.reject_card_numbers(p)
            definitions.check_params(route.handler, route.params_type, p, caller.version, caller.publishable)
            expand = p.get("expand", [])
            definitions.check_expand(route.returns, expand)
            match = route.pattern.fullmatch(urlsplit(self.path).path)
            args = match.groups() if match else ()  # _route matched it already
            obj = getattr(api, route.handler)(caller, p, *args)
            # Lists and search results expand inside each item as they are built.
            rendered = obj if ":" in route.returns else api.render(caller, obj, expand)
            return 200, json.dumps(rendered, indent=2), {}, True
        except errors.StripeError as exc:
            return exc.status, json.dumps(exc.envelope(), indent=2), exc.headers, exc.saved
        except Exception:  # pragma: no cover - a sandbox bug must still answer like Stripe
            log.exception("sandbox handler failed")
            body = {"error": {"type": "api_error", "message": "An unknown error occurred."}}
            return 500, json.dumps(body), {}, True

    def _begin_idempotent(self, caller, key, method, path, params):
        """Reserve the key, or answer from it: a replay, 400 for other parameters, 409 if in use."""
        store = self.server.store
        fingerprint = hashlib.sha256(json.dumps([method, path, params], sort_keys=True).encode()).hexdigest()
        now = self.server.clock.now()
        with store.lock:
            record = store.idempotency(caller.account, key)
            if record is not None and now - record.created > IDEMPOTENCY_WINDOW_S:
                store.release_idempotency(caller.account, key)
                record = None
            if record is None:
                store.reserve_idempotency(caller.account, key, IdempotencyRecord(method, path, fingerprint, now))
                return None
        if record.status is None:
            err = errors.invalid_request(
                "There is currently another in-progress request using this Idempotent Key (that "
                "probably means you submitted twice, and the other request is still going through): "
                f"{key}. Please try again later.",
                code="idempotency_key_in_use",
                status=409,
            )
            return 409, err.envelope(), {}
        if record.path != path or record.method != method:
            err = errors.StripeError(
                400,
                "idempotency_error",
                "Keys for idempotent requests can only be used for the same endpoint they were first "
                f"used for ('{record.method} {record.path}' vs '{method} {path}'). Try using a key other "
                f"than '{key}' if you meant to execute a different request.",
            )
            return 400, err.envelope(), {}
        if record.fingerprint != fingerprint:
            err = errors.StripeError(
                400,
                "idempotency_error",
                "Keys for idempotent requests can only be used with the same parameters they were first "
                f"used with. Try using a key other than '{key}' if you meant to execute a different request.",
            )
            return 400, err.envelope(), {}
        return record.status, record.body, {"Idempotent-Replayed": "true", "Idempotency-Key": key}

    def _send_fault(self, fault, version) -> None:
        headers = {}
        if fault.should_retry is not None:
            headers["Stripe-Should-Retry"] = "true" if fault.should_retry else "false"
        if fault.status == 429:
            body = errors.invalid_request(
                "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.",
                code="rate_limit",
                status=429,
            ).envelope()
        elif fault.status in (401, 403):
            body = errors.authentication("Invalid API Key provided (injected by the sandbox).").envelope()
        elif fault.status >= 500:
            body = {"error": {"type": "api_error", "message": "An unknown error occurred (injected by the sandbox)."}}
        else:
            body = errors.invalid_request("Injected by the sandbox.", status=fault.status).envelope()
        self._send(fault.status, body, headers, version)

    # -- admin ---------------------------------------------------------------
    def _admin(self, method: str, path: str, body: str) -> None:
        server = self.server
        try:
            data = json.loads(body) if body.strip() else {}
        except json.JSONDecodeError:
            return self._send(400, {"error": "body must be JSON"})
        if path == "/_sandbox/reset" and method == "POST":
            server.store.reset()
            server.faults.clear()
            return self._send(200, {"reset": True})
        if path == "/_sandbox/faults":
            if method == "GET":
                return self._send(200, {"faults": server.faults.rules()})
            if method == "DELETE":
                server.faults.clear()
                return self._send(200, {"faults": []})
            if method == "POST":
                try:
                    rule = server.faults.arm(**data)
                except (TypeError, ValueError) as exc:
                    return self._send(400, {"error": str(exc)})
                return self._send(200, {"id": rule.id})
        if path.startswith("/_sandbox/faults/") and path.endswith("/release") and method == "POST":
            held = server.faults.held(int(path.split("/")[3])) if path.split("/")[3].isdigit() else None
            if held is None:
                return self._send(404, {"error": "no held request with that rule id"})
            held.release()
            return self._send(200, {"released": held.id})
        if path.startswith("/_sandbox/terminal/readers/") and method == "POST":
            return self._reader_admin(path.split("/")[4:], data)
        if path == "/_sandbox/clock" and method == "POST":
            server.clock.advance(float(data.get("advance_seconds", 0)))
            return self._send(200, {"now": server.clock.now()})
        if path == "/_sandbox/health" and method == "GET":
            return self._send(200, {"ok": True})
        return self._send(404, {"error": f"no admin endpoint {method} {path}"})

    def _reader_admin(self, parts: list[str], data: dict) -> None:
        """Reader faults a test sets: `{"status": "offline"}`, `{"unresponsive": true}`, or the customer
        cancelling (`.../customer_cancel`). Stripe has no test helper for these; a real reader does them."""
        server = self.server
        with server.store.lock:
            found = server.store.find("terminal.reader", parts[0])
            if found is None:
                return self._send(404, {"error": f"no reader {parts[0]}"})
            account, reader = found
            if parts[1:] == ["customer_cancel"]:
                try:
                    server.api.customer_cancels(Caller(account), parts[0])
                except errors.StripeError as exc:
                    return self._send(400, exc.envelope())
            elif len(parts) == 1:
                if "status" in data:
                    if data["status"] not in ("online", "offline"):
                        return self._send(400, {"error": "status is online or offline"})
                    reader["status"] = data["status"]
                if "unresponsive" in data:
                    reader["_unresponsive"] = bool(data["unresponsive"])
                server.store.put(account, "terminal.reader", reader)
            else:
                return self._send(404, {"error": "no such reader admin endpoint"})
            server.store.flush()
            return self._send(200, server.api._public(reader))

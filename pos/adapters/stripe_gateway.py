"""The payment gateway on Stripe's PaymentIntent API, through the official `stripe` client.

Stripe objects and errors stop here: callers get `Intent`s and gateway errors.
Every POST carries the idempotency key the journal derived from the sale, so a
retry by the client, by the cashier or by recovery can never charge twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_plus

import requests
import stripe
from requests.structures import CaseInsensitiveDict

from pos.domain.tender import CardPresentReceipt
from pos.services.gateway import (
    GatewayError,
    Intent,
    Location,
    Reader,
    ReaderAction,
    NotAuthorized,
    OutcomeUnknown,
    PaymentDeclined,
    ProviderUnavailable,
    RefundInfo,
    RequestInProgress,
    RequestRejected,
)
from pos.services.requests import ConfirmIntent, CreateIntent, CreateRefund, LabelIntent, ShowCart
from pos.services.states import IntentStatus, ReaderActionStatus, RefundStatus

from . import stripe_params
from .stripe_params import CANCEL_PARAMS, KEY_CHECK_PARAMS, RETRIEVE_PARAMS

# The stripe logger at DEBUG prints request bodies; keep it quiet whatever the root level.
logging.getLogger("stripe").setLevel(logging.WARNING)

STRIPE_API = "https://api.stripe.com"
DEFAULT_TIMEOUT = (5.0, 30.0)  # connect, read (seconds)
DEFAULT_RETRIES = 2
# The paths the SDK's typed service methods request (stripe/_payment_intent_service.py,
# _refund_service.py, terminal/_reader_service.py, terminal/_location_service.py).
INTENTS = "/v1/payment_intents"
REFUNDS = "/v1/refunds"
READERS = "/v1/terminal/readers"
LOCATIONS = "/v1/terminal/locations"
SDK_USAGE = ["stripe_client"]  # what stripe/_stripe_service.py reports for a typed method's request


def _intent_path(intent_id: str) -> str:
    # quote_plus, as the SDK's own services quote an id into a path (stripe._util.sanitize_id).
    return f"{INTENTS}/{quote_plus(intent_id)}"


def _reader_path(reader_id: str) -> str:
    return f"{READERS}/{quote_plus(reader_id)}"


def _intent(pi) -> Intent:
    obj = pi.to_dict() if hasattr(pi, "to_dict") else pi
    charge = obj.get("latest_charge")
    charge_id = brand = last4 = None
    emv: CardPresentReceipt | None = None
    if isinstance(charge, str):
        charge_id = charge
    elif charge is not None:
        charge_id = charge["id"]
        details = charge.get("payment_method_details") or {}
        card = details.get("card") or details.get("card_present") or {}
        brand, last4 = card.get("brand"), card.get("last4")
        if details.get("card_present"):
            emv = _card_present(details["card_present"])
    error = obj.get("last_payment_error") or {}
    tip = ((obj.get("amount_details") or {}).get("tip") or {}).get("amount") or 0
    return Intent(
        id=obj["id"],
        status=IntentStatus(obj["status"]),
        amount=obj["amount"],
        currency=obj["currency"],
        amount_received=obj.get("amount_received") or 0,
        metadata=dict(obj.get("metadata") or {}),
        charge_id=charge_id,
        card_brand=brand,
        card_last4=last4,
        decline_code=error.get("decline_code"),
        error_code=error.get("code"),
        tip=tip,
        card_present=emv,
    )


def _card_present(present: dict) -> CardPresentReceipt:
    """The EMV fields a card-present receipt must print (Stripe's "Provide receipts"); `receipt`
    is optional on the charge (absent for a non-EMV read), every field in it nullable."""
    receipt = present.get("receipt") or {}
    return CardPresentReceipt(
        application_name=receipt.get("application_preferred_name"),
        aid=receipt.get("dedicated_file_name"),
        read_method=present.get("read_method"),
        verification=receipt.get("cardholder_verification_method"),
        authorization_code=receipt.get("authorization_code"),
        account_type=receipt.get("account_type"),
        arc=receipt.get("authorization_response_code"),
        tvr=receipt.get("terminal_verification_results"),
        tsi=receipt.get("transaction_status_information"),
    )


def _reader(reader) -> Reader:
    obj = reader.to_dict() if hasattr(reader, "to_dict") else reader
    action = obj.get("action")
    doing = None
    if action:
        processing = action.get("process_payment_intent") or {}
        intent = processing.get("payment_intent")
        doing = ReaderAction(
            type=action["type"],
            status=ReaderActionStatus(action["status"]),
            payment_intent=intent if isinstance(intent, str) else (intent or {}).get("id"),
            failure_code=action.get("failure_code"),
            failure_message=action.get("failure_message"),
        )
    location = obj.get("location")
    return Reader(
        id=obj["id"],
        label=obj.get("label") or obj["id"],
        device_type=obj.get("device_type") or "",
        online=obj.get("status") == "online",
        location=location if isinstance(location, str) or location is None else location["id"],
        action=doing,
        serial_number=obj.get("serial_number") or "",
    )


def _refund(refund) -> RefundInfo:
    obj = refund.to_dict() if hasattr(refund, "to_dict") else refund
    return RefundInfo(
        id=obj["id"],
        status=RefundStatus(obj["status"]),
        amount=obj["amount"],
        currency=obj["currency"],
        metadata=dict(obj.get("metadata") or {}),
    )


class _LeanRequestsClient(stripe.RequestsClient):
    """The SDK's `requests` transport without the `requests.Session` layer around each request.

    `HTTPClient.request` is the SDK's extension point for a transport; this one prepares the
    request as a session would (the session's default headers first, then the SDK's, so the
    same headers in the same order) and hands it to the same `requests` adapter and connection
    pool. What the session layer added per request and the till never uses is gone: cookies
    (Stripe's API sets none the SDK reads), redirects (the API answers, it does not redirect;
    a redirected POST would be re-sent as a GET), hooks, and the merging of all of them. Errors
    are `requests`' own, from the adapter, and go through `RequestsClient._handle_request_error`
    as before, so a timeout or a refused connection is retried and mapped exactly as it was.
    Streaming (which the till does not use) stays on the parent's session path."""

    def __init__(self, session: requests.Session, timeout: tuple[float, float], endpoint: str):
        super().__init__(timeout=timeout, session=session)
        self._defaults = session.headers
        self._proxies = dict(session.proxies)
        self._adapter = session.get_adapter(endpoint)  # the one the session would pick for every request

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[Any, int, Mapping[str, str]]:  # the body as bytes, as RequestsClient gives it
        try:
            prepared = requests.PreparedRequest()
            prepared.prepare(
                method=method.upper(),
                url=url,
                headers=requests.sessions.merge_setting(headers, self._defaults, dict_class=CaseInsensitiveDict),
                data=post_data,
            )
            result = self._adapter.send(
                prepared,
                stream=False,
                timeout=self._timeout,
                verify=stripe.ca_bundle_path if self._verify_ssl_certs else False,
                cert=None,
                proxies=self._proxies,
            )
            content = result.content
        except Exception as e:  # as RequestsClient does: every failure becomes an APIConnectionError
            self._handle_request_error(e)
        return content, result.status_code, result.headers


def lean_http_client(endpoint: str, timeout: tuple[float, float]) -> stripe.RequestsClient:
    """The official client's `requests` transport, with the environment read once, here.

    A `requests` session that trusts the environment reads it again on every request: the
    proxies (urllib walks every environment variable, twice) and ~/.netrc. For one endpoint
    the answer cannot change while the till runs, so the proxies are looked up now, for this
    endpoint (no_proxy included), and never again. The CA bundle is not taken from the
    environment either way: the client always passes its own bundle as `verify`, which
    `requests` then keeps. A netrc entry could only have overwritten the client's
    Authorization header, so it is not read. One connection pool for every thread: it is
    thread-safe, so a worker thread reuses the open connection instead of opening its own (the
    client's default is a session per thread). Each request skips the session layer too
    (`_LeanRequestsClient`)."""
    session = requests.Session()
    session.trust_env = False
    session.proxies.update(requests.utils.get_environ_proxies(endpoint))
    return _LeanRequestsClient(session, timeout, endpoint)


def sdk_versions() -> tuple[str, str]:
    """The official client's version and the API version it sends (Help → About this till)."""
    return stripe.VERSION, str(stripe.api_version)


class StripeGateway:
    def __init__(
        self,
        api_key: str,
        base_url: str | None = None,
        *,
        timeout: tuple[float, float] | None = None,
        max_network_retries: int = DEFAULT_RETRIES,
    ):
        timeout = timeout or DEFAULT_TIMEOUT  # (connect, read) seconds
        self.endpoint = base_url or STRIPE_API
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": self.endpoint},
            max_network_retries=max_network_retries,
            http_client=lean_http_client(self.endpoint, timeout),
        )

    def _send(
        self, method: str, path: str, params: Mapping[str, Any] | None = None, idempotency_key: str | None = None
    ) -> dict:
        """One request through the official client's `raw_request`: the same request the typed
        service method (`v1.payment_intents.create` ...) sends, the same retries, the same errors
        raised from the answer, but the answer's JSON is returned as it is instead of being
        turned into StripeObjects (a confirmed intent with its charge is ~10 of them, each
        filled key by key) that `_intent()` would only read a few fields of. The telemetry's
        usage is the typed methods' own ("stripe_client"; raw_request's default would say
        "raw_request"). tests/sandbox/test_gateway_wire.py holds the two requests equal."""
        options = {"idempotency_key": idempotency_key} if idempotency_key is not None else {}
        answer = self._call(self._client.raw_request, method, path, usage=SDK_USAGE, **options, **(params or {}))
        return answer.data

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except stripe.CardError as exc:
            err = exc.error.to_dict() if exc.error else {}
            intent = _intent(err["payment_intent"]) if err.get("payment_intent") else None
            raise PaymentDeclined(
                exc.user_message or "Card declined", exc.code, err.get("decline_code"), intent, err.get("charge")
            ) from None
        except stripe.APIConnectionError as exc:
            raise OutcomeUnknown("No answer from Stripe (network error or timeout)") from exc
        except stripe.RateLimitError as exc:
            raise ProviderUnavailable("Stripe is busy (too many requests); nothing was charged") from exc
        except (stripe.AuthenticationError, stripe.PermissionError) as exc:
            raise NotAuthorized("Stripe refused the till's API key") from exc
        except stripe.IdempotencyError as exc:
            raise RequestRejected(exc.user_message or "Idempotency error", "idempotency_error") from exc
        except stripe.InvalidRequestError as exc:
            raise RequestRejected(exc.user_message or "Stripe refused the request", exc.code) from exc
        except stripe.APIError as exc:
            if exc.http_status == 409:
                raise RequestInProgress("The same request is still being processed by Stripe") from exc
            # A 5xx may or may not have been processed: the caller must look before acting.
            raise OutcomeUnknown(f"Stripe answered with an error (HTTP {exc.http_status})") from exc
        except stripe.StripeError as exc:
            raise GatewayError(f"Stripe error: {type(exc).__name__}") from exc

    def create_payment_intent(self, request: CreateIntent, idempotency_key: str) -> Intent:
        return _intent(self._send("post", INTENTS, stripe_params.create_params(request), idempotency_key))

    def confirm_payment_intent(self, intent_id: str, request: ConfirmIntent, idempotency_key: str) -> Intent:
        params = stripe_params.confirm_params(request)
        return _intent(self._send("post", f"{_intent_path(intent_id)}/confirm", params, idempotency_key))

    def retrieve_payment_intent(self, intent_id: str) -> Intent:
        return _intent(self._send("get", _intent_path(intent_id), RETRIEVE_PARAMS))

    def cancel_payment_intent(self, intent_id: str, idempotency_key: str) -> Intent:
        return _intent(self._send("post", f"{_intent_path(intent_id)}/cancel", CANCEL_PARAMS, idempotency_key))

    def label_payment_intent(self, intent_id: str, request: LabelIntent, idempotency_key: str) -> Intent:
        params = stripe_params.label_params(request)
        return _intent(self._send("post", _intent_path(intent_id), params, idempotency_key))

    def find_payment_intents(self, sale_key: str) -> list[Intent]:
        result = self._send("get", f"{INTENTS}/search", stripe_params.search_query(sale_key))
        return [_intent(pi) for pi in result["data"]]

    def create_refund(self, request: CreateRefund, idempotency_key: str) -> RefundInfo:
        return _refund(self._send("post", REFUNDS, stripe_params.refund_params(request), idempotency_key))

    def list_refunds(self, intent_id: str) -> list[RefundInfo]:
        result = self._send("get", REFUNDS, stripe_params.refund_list_params(intent_id))
        return [_refund(r) for r in result["data"]]

    # -- Stripe Terminal -----------------------------------------------------------------------
    def process_on_reader(self, reader_id: str, intent_id: str, idempotency_key: str, tipping: bool = False) -> Reader:
        params = stripe_params.process_params(intent_id, tipping)
        return _reader(self._send("post", f"{_reader_path(reader_id)}/process_payment_intent", params, idempotency_key))

    def retrieve_reader(self, reader_id: str) -> Reader:
        return _reader(self._send("get", _reader_path(reader_id)))

    def cancel_reader_action(self, reader_id: str, idempotency_key: str) -> Reader:
        return _reader(self._send("post", f"{_reader_path(reader_id)}/cancel_action", {}, idempotency_key))

    def show_cart(self, reader_id: str, cart: ShowCart) -> Reader:
        params = stripe_params.display_params(cart)
        return _reader(self._send("post", f"{_reader_path(reader_id)}/set_reader_display", params))

    def list_locations(self) -> list[Location]:
        found = self._send("get", LOCATIONS, stripe_params.LOCATION_LIST_PARAMS)
        return [Location(loc["id"], loc["display_name"]) for loc in found["data"]]

    def create_location(self, name: str, country: str) -> Location:
        loc = self._send("post", LOCATIONS, stripe_params.location_params(name, country))
        return Location(loc["id"], loc["display_name"])

    def register_reader(self, registration_code: str, label: str, location_id: str) -> Reader:
        params = stripe_params.reader_params(registration_code, label, location_id)
        return _reader(self._send("post", READERS, params))

    def list_readers(self, location_id: str | None = None) -> list[Reader]:
        found = self._send("get", READERS, stripe_params.reader_list_params(location_id))
        return [_reader(r) for r in found["data"]]

    def present_card(self, reader_id: str, card_number: str, tip: int = 0) -> Reader:
        path = f"/v1/test_helpers/terminal/readers/{quote_plus(reader_id)}/present_payment_method"
        return _reader(self._send("post", path, stripe_params.present_params(card_number, tip)))

    def check_key(self) -> None:
        """One cheap read that proves the key works (raises NotAuthorized if not)."""
        self._send("get", INTENTS, KEY_CHECK_PARAMS)


class NoPaymentsGateway:
    """The gateway of a till that must not reach Stripe: its key cannot be read (keyring locked or
    gone), or the window is read-only. Every call is refused with the reason, so nothing is charged
    and recovery waits, instead of a silent demo."""

    def __init__(self, reason: str, endpoint: str = STRIPE_API):
        self.endpoint = endpoint
        self.reason = reason

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)

        def refuse(*_args, **_kwargs):
            raise NotAuthorized(self.reason)

        return refuse

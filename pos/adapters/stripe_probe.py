"""The steps of `pos doctor --live`, run through the official `stripe` client against one server.

Each step sends what the till itself sends (the same parameter builders as checkout,
refunds and the gateway) and reports an `Observation`. Whatever a run makes is
cancelled or refunded before it returns.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import Callable, TypeVar

import stripe

from stripe.params import PaymentIntentCreateParams

from pos.adapters.stripe_params import CANCEL_PARAMS, confirm_params, create_params, refund_params
from pos.domain.money import Money
from pos.services.doctor import Observation
from pos.services.requests import ConfirmIntent, CreateIntent, CreateRefund

T = TypeVar("T")
TIMEOUT = (5.0, 30.0)
STEPS = (
    "create",
    "confirm",
    "decline",
    "refund",
    "cancel",
    "idempotent replay",
    "idempotency mismatch",
    "account default version",
)


def _version(headers) -> str | None:
    if headers is None:
        return None
    return headers.get("Stripe-Version") or headers.get("stripe-version")


def _seen(obj) -> Observation:
    response = obj.last_response
    data = obj.to_dict()
    return Observation(
        http_status=response.code,
        object_status=data.get("status"),
        fields=frozenset(data),
        version=_version(response.headers),
    )


def _refused(exc: stripe.StripeError) -> Observation:
    error = exc.error.to_dict() if exc.error is not None else {}
    if exc.http_status is None:
        return Observation(failure=f"no answer ({type(exc).__name__})")
    return Observation(
        http_status=exc.http_status,
        error_type=error.get("type"),
        error_code=error.get("code"),
        decline_code=error.get("decline_code"),
        error_param=error.get("param"),
        version=_version(exc.headers),
    )


def _attempt(call: Callable[[], T]) -> tuple[T | None, Observation]:
    try:
        obj = call()
    except stripe.StripeError as exc:
        return None, _refused(exc)
    return obj, _seen(obj)


class Probe:
    def __init__(self, api_key: str, base_url: str, currency: str, amount_minor: int = 1000):
        self.api_key, self.base_url = api_key, base_url.rstrip("/")
        self.client = stripe.StripeClient(
            api_key,
            base_addresses={"api": self.base_url},
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=TIMEOUT),
        )
        self.total = Money(amount_minor, currency.upper())
        self._made: list[str] = []  # intents to cancel or refund at the end

    def run(self) -> list[tuple[str, Observation]]:
        try:
            return self._steps()
        finally:
            self._clean_up()

    def _params(self, total: Money | None = None) -> PaymentIntentCreateParams:
        return create_params(CreateIntent(total or self.total, f"doctor-{uuid.uuid4().hex}", "doctor"))

    def _create(
        self, key: str | None = None, params: PaymentIntentCreateParams | None = None
    ) -> tuple[stripe.PaymentIntent | None, Observation]:
        params = params or self._params()
        options: stripe.RequestOptions = {"idempotency_key": key} if key else {}
        obj, seen = _attempt(lambda: self.client.v1.payment_intents.create(params, options))
        if obj is not None and obj.id not in self._made:
            self._made.append(obj.id)
        return obj, seen

    def _steps(self) -> list[tuple[str, Observation]]:
        intents = self.client.v1.payment_intents
        results = []
        intent, seen = self._create()
        results.append(("create", seen))
        skipped = Observation(failure="skipped: the create step failed")
        if intent is None:
            return results + [(step, skipped) for step in STEPS[1:]]
        paid, seen = _attempt(lambda: intents.confirm(intent.id, confirm_params(ConfirmIntent("pm_card_visa"))))
        results.append(("confirm", seen))

        declined, _ = self._create()
        if declined is not None:
            results.append(
                (
                    "decline",
                    _attempt(
                        lambda: intents.confirm(declined.id, confirm_params(ConfirmIntent("pm_card_chargeDeclined")))
                    )[1],
                )
            )
        else:
            results.append(("decline", skipped))

        if paid is not None:
            half = Money(self.total.minor // 2, self.total.currency)
            params = refund_params(CreateRefund(paid.id, half, "requested_by_customer", uuid.uuid4().hex, 0, "doctor"))
            results.append(("refund", _attempt(lambda: self.client.v1.refunds.create(params))[1]))
        else:
            results.append(("refund", Observation(failure="skipped: the confirm step failed")))

        cancelled, _ = self._create()
        if cancelled is not None:
            results.append(("cancel", _attempt(lambda: intents.cancel(cancelled.id, CANCEL_PARAMS))[1]))
        else:
            results.append(("cancel", skipped))

        key = f"pos-doctor-{uuid.uuid4().hex}"
        create = self._params()
        first, _ = self._create(key, create)
        again, seen = self._create(key, create)
        replay = ("replayed", str(first is not None and again is not None and again.id == first.id).lower())
        answer = again.last_response if again is not None else None
        header = (answer.headers.get("Idempotent-Replayed") if answer is not None else None) or "—"
        results.append(
            (
                "idempotent replay",
                Observation(
                    http_status=seen.http_status,
                    version=seen.version,
                    object_status=seen.object_status,
                    extra=(replay, ("Idempotent-Replayed", header)),
                    failure=seen.failure,
                ),
            )
        )
        _, seen = self._create(key, self._params(Money(self.total.minor + 100, self.total.currency)))
        results.append(("idempotency mismatch", seen))
        results.append(("account default version", self._default_version(intent.id)))
        return results

    def _default_version(self, intent_id: str) -> Observation:
        """A request without `Stripe-Version`: the account answers at its default version."""
        request = urllib.request.Request(
            f"{self.base_url}/v1/payment_intents/{intent_id}", headers={"Authorization": f"Bearer {self.api_key}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT[1]) as response:
                body, status, headers = json.load(response), response.status, response.headers
        except urllib.error.HTTPError as exc:
            return Observation(http_status=exc.code, version=_version(exc.headers))
        except OSError as exc:
            return Observation(failure=f"no answer ({type(exc).__name__})")
        return Observation(
            http_status=status, object_status=body.get("status"), fields=frozenset(body), version=_version(headers)
        )

    def _clean_up(self) -> None:
        """Cancel what can be cancelled and refund what was paid, so a run leaves nothing behind."""
        for intent_id in self._made:
            try:
                current = self.client.v1.payment_intents.retrieve(intent_id)
                if current.status == "succeeded":
                    self.client.v1.refunds.create({"payment_intent": intent_id})
                elif current.status != "canceled":
                    self.client.v1.payment_intents.cancel(intent_id, CANCEL_PARAMS)
            except stripe.StripeError:
                continue  # already fully refunded, or unreachable: nothing more a doctor can do

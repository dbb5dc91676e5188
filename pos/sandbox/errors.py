"""Stripe's error envelope, raised by the sandbox's handlers and turned into JSON by the server."""

from __future__ import annotations


class StripeError(Exception):
    """An API error answered as `{"error": {...}}` with Stripe's HTTP status."""

    def __init__(
        self,
        status: int,
        type_: str,
        message: str,
        *,
        code=None,
        param=None,
        decline_code=None,
        extra=None,
        headers=None,
    ):
        super().__init__(message)
        self.status = status
        self.body = {"type": type_, "message": message}
        if code is not None:
            self.body["code"] = code
            self.body["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
        if param is not None:
            self.body["param"] = param
        if decline_code is not None:
            self.body["decline_code"] = decline_code
        if extra:
            self.body.update(extra)
        self.headers = headers or {}
        # Stripe saves an idempotent result only once an endpoint started
        # executing; requests that fail parameter validation are not saved.
        self.saved = True

    def envelope(self) -> dict:
        return {"error": self.body}


def invalid_request(message, *, code=None, param=None, status=400, extra=None):
    return StripeError(status, "invalid_request_error", message, code=code, param=param, extra=extra)


def validation(message, *, code=None, param=None) -> StripeError:
    err = invalid_request(message, code=code, param=param)
    err.saved = False
    return err


def parameter_unknown(param: str) -> StripeError:
    return validation(f"Received unknown parameter: {param}", code="parameter_unknown", param=param)


def parameter_missing(param: str) -> StripeError:
    return validation(f"Missing required param: {param}.", code="parameter_missing", param=param)


def not_in_sandbox(param: str) -> StripeError:
    """A parameter Stripe declares for this call that the sandbox does not implement: never ignored."""
    return validation(
        f"Received parameter {param}, which Stripe accepts on this call but this sandbox does "
        "not implement, so it was refused rather than ignored.",
        param=param,
    )


def cannot_expand(path: str) -> StripeError:
    return validation(f"This property cannot be expanded ({path}).")


def resource_missing(kind: str, ident: str, param: str, status=404) -> StripeError:
    return invalid_request(f"No such {kind}: '{ident}'", code="resource_missing", param=param, status=status)


def unexpected_state(message: str, intent: dict) -> StripeError:
    """`intent` as the request's version renders it (Stripe embeds the object in the caller's shape)."""
    return invalid_request(message, code="payment_intent_unexpected_state", extra={"payment_intent": intent})


def authentication(message: str) -> StripeError:
    return StripeError(401, "invalid_request_error", message)

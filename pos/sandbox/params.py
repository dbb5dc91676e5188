"""Parameter checks that answer the way Stripe does (`parameter_unknown`, `parameter_missing`, ...)."""

from __future__ import annotations

from typing import Literal, overload

from . import currencies, errors

MAX_AMOUNT = 99_999_999

# Stripe's minimum charge amounts, in minor units, for the currencies it lists;
# others default to the equivalent of 50 minor units.
MINIMUM_AMOUNT = {
    "usd": 50,
    "aed": 200,
    "aud": 50,
    "bgn": 100,
    "brl": 50,
    "cad": 50,
    "chf": 50,
    "czk": 1500,
    "dkk": 250,
    "eur": 50,
    "gbp": 30,
    "hkd": 400,
    "huf": 17500,
    "inr": 50,
    "jpy": 50,
    "mxn": 1000,
    "myr": 200,
    "nok": 300,
    "nzd": 50,
    "pln": 200,
    "ron": 200,
    "sek": 300,
    "sgd": 50,
    "thb": 1000,
}


@overload
def integer(params: dict, name: str, *, required: Literal[True]) -> int: ...
@overload
def integer(params: dict, name: str, *, required: bool = False) -> int | None: ...
def integer(params: dict, name: str, *, required: bool = False) -> int | None:
    if name not in params or params[name] == "":
        if required:
            raise errors.parameter_missing(name)
        return None
    raw = params[name]
    if not isinstance(raw, str) or not raw.lstrip("-").isdigit():
        raise errors.validation(f"Invalid integer: {raw}", code="parameter_invalid_integer", param=name)
    return int(raw)


def boolean(params: dict, name: str) -> bool:
    raw = params.get(name, "false")
    if raw not in ("true", "false"):
        raise errors.validation(f"Invalid boolean: {raw}", code="parameter_invalid_empty", param=name)
    return raw == "true"


def choice(params: dict, name: str, options: tuple[str, ...], default: str | None = None) -> str | None:
    value = params.get(name, default)
    if value is not None and value not in options:
        raise errors.validation(
            f"Invalid {name}: must be one of {', '.join(options)}", code="parameter_invalid_empty", param=name
        )
    return value


def text(params: dict, name: str) -> str | None:
    value = params.get(name)
    if value is not None and not isinstance(value, str):
        raise errors.validation(f"Invalid string: {name}", param=name)
    return value or None


@overload
def currency(params: dict, *, required: Literal[True] = True) -> str: ...
@overload
def currency(params: dict, *, required: bool) -> str | None: ...
def currency(params: dict, *, required: bool = True) -> str | None:
    raw = params.get("currency")
    if raw in (None, ""):
        if required:
            raise errors.parameter_missing("currency")
        return None
    code = str(raw).lower()
    if not currencies.is_supported(code):
        raise errors.validation(
            f"Invalid currency: {code}. Stripe currently supports these currencies: {', '.join(currencies.SUPPORTED)}",
            param="currency",
        )
    return code


def charge_amount(amount: int, code: str, param: str = "amount") -> int:
    """Stripe's bounds on a charge amount for a currency (https://docs.stripe.com/currencies)."""
    if amount < 1:
        raise errors.validation(
            "This value must be greater than or equal to 1.", code="parameter_invalid_integer", param=param
        )
    minimum = MINIMUM_AMOUNT.get(code, 50)
    if amount < minimum:
        raise errors.validation(
            f"Amount must be at least {currencies.major(minimum, code)} {code}", code="amount_too_small", param=param
        )
    if amount > MAX_AMOUNT:
        raise errors.validation(
            f"Amount must be no more than {currencies.major(MAX_AMOUNT, code)} {code}",
            code="amount_too_large",
            param=param,
        )
    return whole_tens(amount, code, param)


def whole_tens(amount: int, code: str, param: str = "amount") -> int:
    """The three-decimal currencies' rule, for Payment Intents, Refunds and Disputes alike
    (https://docs.stripe.com/currencies, "Three-decimal currencies"): the last digit must be 0."""
    if code in currencies.THREE_DECIMAL and amount % 10:
        raise errors.validation(
            f"Invalid amount for {code}: three-decimal currencies take amounts rounded "
            "to the nearest ten minor units (the last digit must be 0).",
            code="invalid_charge_amount",
            param=param,
        )
    return amount


def metadata(params: dict, current: dict | None = None) -> dict:
    """Stripe's metadata rules: at most 50 keys, keys to 40 chars, values to 500; '' unsets."""
    raw = params.get("metadata")
    result = dict(current or {})
    if raw is None:
        return result
    if raw == "":
        return {}
    if not isinstance(raw, dict):
        raise errors.validation("Invalid object", code="parameter_invalid_empty", param="metadata")
    for key, value in raw.items():
        if len(key) > 40:
            raise errors.validation("Metadata keys can have at most 40 characters.", param=f"metadata[{key}]")
        if not isinstance(value, str):
            raise errors.validation("Metadata values must be strings.", param=f"metadata[{key}]")
        if len(value) > 500:
            raise errors.validation("Metadata values can have at most 500 characters.", param=f"metadata[{key}]")
        if value == "":
            result.pop(key, None)
        else:
            result[key] = value
    if len(result) > 50:
        raise errors.validation("Metadata can have at most 50 keys.", param="metadata")
    return result


def reject_card_numbers(params: dict) -> None:
    card = params.get("payment_method_data") or {}
    card = card.get("card") if isinstance(card, dict) else None
    if isinstance(card, dict) and "number" in card:
        raise errors.invalid_request(
            "Sending credit card numbers directly to the Stripe API is generally unsafe. "
            "We suggest you use test tokens that map to the test card you are using, "
            "see https://stripe.com/docs/testing.",
            param="payment_method_data[card][number]",
        )

"""Stripe's currencies, from https://docs.stripe.com/currencies, kept here so the sandbox stands alone.

The till has its own table (`pos/domain/currency.py`); a test compares the two, so a
wrong decimal count in one cannot be graded "right" by the other.
"""

from __future__ import annotations

# In the order Stripe lists them in its "Invalid currency" error.
SUPPORTED = tuple(
    """
    usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd bwp byn
    bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gnf
    gtq gyd hkd hnl htg huf idr ils inr isk jmd jod jpy kes kgs khr kmf krw kwd kyd kzt lak lbp lkr
    lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd omr pab pen
    pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos srd std szl thb tjs tnd
    top try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf xcd xof xpf yer zar zmw
""".split()
)
_SUPPORTED = frozenset(SUPPORTED)

# "Zero-decimal currencies" and "Three-decimal currencies" on Stripe's currencies page.
ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
THREE_DECIMAL = frozenset("bhd jod kwd omr tnd".split())

# How Stripe's messages write an amount ("$0.50 usd", "€0.50 eur").
_SYMBOL = {
    "usd": "$",
    "aud": "$",
    "cad": "$",
    "hkd": "$",
    "nzd": "$",
    "sgd": "$",
    "mxn": "$",
    "eur": "€",
    "gbp": "£",
    "jpy": "¥",
    "cny": "¥",
    "inr": "₹",
    "krw": "₩",
    "chf": "CHF ",
}


def is_supported(code: str) -> bool:
    return code in _SUPPORTED


def exponent(code: str) -> int:
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def major(amount: int, code: str) -> str:
    """An amount in minor units as Stripe writes it in error messages: `$0.50`."""
    exp = exponent(code)
    number = f"{amount / 10**exp:,.{exp}f}" if exp else f"{amount:,}"
    return f"{_SYMBOL.get(code, '')}{number}"

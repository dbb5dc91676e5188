"""ISO 4217 currencies as Stripe counts them: how many minor units make a major one.

Stripe's list differs from ISO in places (it treats some currencies as
zero-decimal that ISO gives two decimals), so this table follows Stripe, which
is the authority on what an amount in minor units means for a charge.
"""

# Stripe's zero-decimal currencies: the amount is in major units already.
ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
# Stripe's three-decimal currencies. Card acquirers only take amounts rounded
# to the nearest ten minor units for these, so the last digit must be 0.
THREE_DECIMAL = frozenset("bhd jod kwd omr tnd".split())

# Currencies Stripe accepts for card payments (a practical subset: every one
# a till is likely to be set to, plus the zero- and three-decimal ones).
KNOWN = frozenset(
    """
    aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bif bmd bnd bob brl
    bsd bwp byn bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb
    eur fjd fkp gbp gel gip gmd gnf gtq gyd hkd hnl htg huf idr ils inr isk jmd
    jpy kes kgs khr kmf krw kyd kzt lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt
    mop mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd pab pen pgk php pkr pln
    pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos srd std szl thb tjs
    top try ttd twd tzs uah ugx usd uyu uzs vnd vuv wst xaf xcd xof xpf yer zar
    zmw bhd jod kwd omr tnd
    """.split()
)


def is_known(currency: str) -> bool:
    return currency.lower() in KNOWN


def exponent(currency: str) -> int:
    """Number of decimal places between the minor and the major unit."""
    code = currency.lower()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2

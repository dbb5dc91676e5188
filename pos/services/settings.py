"""The store's settings as the till uses them (kept by the database adapter, not secret)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StoreSettings:
    store_name: str = "Kopi & Co. Café"
    address: str = "12 Jalan Besar, Singapore 208790"
    currency: str = "SGD"
    tax_inclusive: bool = True
    default_tax_rate_bp: int = 900
    receipt_footer: str = "Thank you! Prices include 9% GST."
    till_id: str = "T1"
    locale: str = "en_SG"  # how money and dates are written (CLDR locale)
    time_zone: str = ""  # IANA name (Asia/Singapore) that decides calendar days; "" = the computer's


class SettingsError(ValueError):
    pass

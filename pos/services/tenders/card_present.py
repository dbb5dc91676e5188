"""A card read by a Stripe Terminal reader: its `card_present` intent is handed to the reader
(services/sale_phases.py, services/readers.py) and its EMV receipt fields print with it. Stored as a
`card` row with those fields (domain/tender.tender_type) and refunded through Stripe like any card."""

from pos.domain.tender import TenderKind

from . import RefundRoute, TenderType, register

CARD_PRESENT = register(
    TenderType(TenderKind.CARD_PRESENT, refund=RefundRoute.STRIPE, outside=True, stored_as=TenderKind.CARD)
)

"""A card payment method through Stripe (the till sends the card): a PaymentIntent confirmed through
the phases of the payment machine (services/sale_phases.py), refunded through Stripe."""

from pos.domain.tender import TenderKind

from . import RefundRoute, TenderType, register

CARD = register(TenderType(TenderKind.CARD, refund=RefundRoute.STRIPE, outside=True, stored_as=TenderKind.CARD))

"""A gift card: redeemed from its ledger balance through the phases of the payment machine (a
redemption has recovery points and a key, like a card part), refunded back to its balance.
Registered here for its reports and exports; taking it is issue 24 item 3."""

from pos.domain.tender import TenderKind

from . import RefundRoute, TenderType, register

GIFT_CARD = register(
    TenderType(
        TenderKind.GIFT_CARD,
        refund=RefundRoute.BALANCE,
        outside=True,
        stored_as=TenderKind.GIFT_CARD,
        takes_payments=False,
    )
)

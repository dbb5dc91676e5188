"""Store credit: spent from a credit code's (or a customer's) balance, refunded back to it.
Registered here for its reports and exports; taking it is issue 24 item 4."""

from pos.domain.tender import TenderKind

from . import RefundRoute, TenderType, register

STORE_CREDIT = register(
    TenderType(
        TenderKind.STORE_CREDIT,
        refund=RefundRoute.BALANCE,
        outside=True,
        stored_as=TenderKind.STORE_CREDIT,
        takes_payments=False,
    )
)

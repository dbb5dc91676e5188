"""Store credit: a code of the gift-card ledger with purpose store_credit (issued by a refund or a return,
services/store_credit.py), spent at the counter through the gift card's redemption phases
(tenders/gift_card.py: one code path, the tender's kind follows the card's purpose) on the gift card
page of the payment dialog. A refund of a part it paid goes back onto the code that paid it
(refund_phases._back_on_card)."""

from pos.domain.tender import TenderKind

from . import RefundRoute, TenderType, register

STORE_CREDIT = register(
    TenderType(
        TenderKind.STORE_CREDIT,
        refund=RefundRoute.BALANCE,
        outside=True,
        stored_as=TenderKind.STORE_CREDIT,
    )
)

"""The tender registry (issue 24 item 2): every kind the till knows is a registered strategy that says
how a refund of it goes back and whether its money moves outside the till; a reader payment is stored
as a card and read as card_present."""

from __future__ import annotations

import pytest

from pos.domain.money import Money
from pos.domain.tender import CardPresentReceipt, Tender, TenderKind, tender_type
from pos.services import tenders
from pos.services.tenders import RefundRoute, TenderType


def test_every_kind_is_registered_in_the_reports_order():
    assert [t.kind for t in tenders.kinds()] == list(TenderKind)
    assert [t.label for t in tenders.kinds()] == ["Cash", "Card", "Card on reader", "Gift card", "Store credit"]


def test_each_kind_goes_back_the_way_it_came():
    routes = {t.kind: t.refund for t in tenders.kinds()}
    assert routes == {
        TenderKind.CASH: RefundRoute.DRAWER,
        TenderKind.CARD: RefundRoute.STRIPE,
        TenderKind.CARD_PRESENT: RefundRoute.STRIPE,  # a reader payment is refunded through Stripe too
        TenderKind.GIFT_CARD: RefundRoute.BALANCE,
        TenderKind.STORE_CREDIT: RefundRoute.BALANCE,
    }
    assert not tenders.strategy("cash").outside  # only cash changes hands at the counter alone
    assert all(t.outside for t in tenders.kinds() if t.kind is not TenderKind.CASH)
    assert tenders.strategy(TenderKind.CARD_PRESENT).stored_as is TenderKind.CARD


def test_a_kind_cannot_be_registered_twice_differently():
    with pytest.raises(ValueError, match="registered twice"):
        tenders.register(TenderType(TenderKind.CASH, RefundRoute.STRIPE, outside=True, stored_as=TenderKind.CASH))
    tenders.register(tenders.strategy(TenderKind.CASH))  # the same again is no change


def test_a_card_row_with_a_readers_receipt_reads_as_card_present():
    emv = CardPresentReceipt(read_method="contactless_emv")
    assert tender_type("card", emv.to_json()) is TenderKind.CARD_PRESENT
    assert tender_type("card", None) is TenderKind.CARD and tender_type("cash", None) is TenderKind.CASH
    assert tender_type("gift_card", None) is TenderKind.GIFT_CARD
    on_reader = Tender(TenderKind.CARD, Money(500, "SGD"), card_brand="visa", card_last4="4242", card_present=emv)
    assert on_reader.type is TenderKind.CARD_PRESENT and on_reader.label == "Card VISA **** 4242"
    assert Tender(TenderKind.GIFT_CARD, Money(500, "SGD")).label == "Gift card"

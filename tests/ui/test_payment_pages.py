"""The payment dialog has one button and page per kind of tender the till takes, built from the tender
registry (issue 24 item 2), and Split (issue 28 item 1); the card page takes both the card and the card
on the reader."""

from __future__ import annotations

from pos.domain.tender import TenderKind
from pos.services import tenders
from pos.ui.payment_pages.card import CardPage
from pos.ui.payment_pages.cash import CashPage
from pos.ui.payment_pages.gift_card import GiftCardPage
from pos.ui.payment_pages.split import SplitPage

from .test_till import open_payment, ring_up_three


def test_the_tender_buttons_are_the_registered_kinds_the_till_takes(qtbot, window):
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    taken = [t.label for t in tenders.kinds() if t.takes_payments]
    assert taken == ["Cash", "Card", "Card on reader", "Gift card", "Store credit"]
    buttons = [dialog.tender_buttons[p] for p in (CardPage, CashPage, GiftCardPage, SplitPage)]
    assert [b.objectName() for b in buttons] == [
        "cardTenderButton",
        "cashTenderButton",
        "giftCardTenderButton",
        "splitTenderButton",
    ]
    assert [b.text() for b in buttons] == ["Card", "Cash", "Gift card", "Split"]
    assert dialog.tender_pages.count() == len(dialog.tender_buttons) == 4
    # One row, left to right in that order; Cash opens (its quick amounts take a cash sale in one tap).
    assert [b.mapTo(dialog, b.rect().topLeft()).y() for b in buttons] == [
        buttons[0].mapTo(dialog, buttons[0].rect().topLeft()).y()
    ] * 4
    assert sorted(buttons, key=lambda b: b.mapTo(dialog, b.rect().topLeft()).x()) == buttons
    assert dialog.tender_pages.currentWidget() is dialog.cash_page and dialog.cash_tender.isChecked()
    dialog.show_tender(TenderKind.CARD)
    assert dialog.tender_pages.currentWidget() is dialog.card_page and dialog.card_tender.isChecked()
    assert not dialog.cash_tender.isChecked()
    dialog.show_tender(TenderKind.CASH)
    assert dialog.tender_pages.currentWidget() is dialog.cash_page and dialog.cash_tender.isChecked()
    dialog.show_tender(TenderKind.CARD_PRESENT)
    assert dialog.tender_pages.currentWidget() is dialog.card_page
    dialog.show_tender(TenderKind.GIFT_CARD)
    assert isinstance(dialog.tender_pages.currentWidget(), GiftCardPage)
    # Store credit is spent on the gift card's page (one redemption; the code's purpose books the kind).
    assert dialog.pages_by_kind[TenderKind.STORE_CREDIT] is dialog.pages_by_kind[TenderKind.GIFT_CARD]
    dialog.reject()

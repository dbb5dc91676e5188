"""A till's own gift cards (no shop database): the ledger on the till's real SQLite file, each
entry covered by the audit trail, every write once per key."""

from __future__ import annotations

import sqlite3

import pytest

from pos.app import open_back_office
from pos.domain.giftcards import EntryKind, format_code, new_code
from pos.domain.money import Money
from pos.services.giftcards import KeyGivenUp, NotEnough, UnknownCard


def sgd(minor: int) -> Money:
    return Money(minor, "SGD")


@pytest.fixture
def office(tmp_path):
    office = open_back_office(tmp_path / "till")
    try:
        yield office
    finally:
        office.close()


def test_issue_redeem_reload_give_back_and_the_balance_is_the_sum(office):
    cards = office.gift_cards
    card = cards.issue(sgd(5000), "k-issue")
    assert card.balance == sgd(5000) and not card.shop
    again = cards.issue(sgd(5000), "k-issue")  # the same step twice: one card
    assert again.code == card.code and len(cards.cards()) == 1
    printed = format_code(card.code)
    found = cards.locate(printed.lower())
    assert found.ledger.redeem(card.code, sgd(1200), "k-redeem").amount == sgd(1200)
    assert found.ledger.redeem(card.code, sgd(1200), "k-redeem").amount == sgd(1200)  # once
    cards.reload(printed, sgd(1000), "k-reload")
    cards.give_back(printed, sgd(200), "k-back", "refund T1-0001")
    cards.give_back(printed, sgd(200), "k-back", "refund T1-0001")
    assert cards.balance(printed).balance == sgd(5000 - 1200 + 1000 + 200)
    kinds = [e.kind for e in found.ledger.entries(card.code)]
    assert kinds == [EntryKind.ISSUE, EntryKind.REDEEM, EntryKind.RELOAD, EntryKind.REFUND_TO_CARD]


def test_a_card_never_goes_below_nothing_and_an_unknown_code_is_named(office):
    cards = office.gift_cards
    card = cards.issue(sgd(1000), "k1")
    ledger = cards.locate(card.code).ledger
    with pytest.raises(NotEnough, match="holds only SGD 10.00"):
        ledger.redeem(card.code, sgd(1001), "k2")
    with pytest.raises(UnknownCard, match="No gift card with this code was sold at this till"):
        cards.balance(new_code())  # a valid code never sold here


def test_a_redemption_key_given_up_never_debits_later(office):
    """Recovery closes a redemption that never reached the ledger by writing its key as given up:
    the same key arriving afterwards takes nothing."""
    cards = office.gift_cards
    card = cards.issue(sgd(1000), "k1")
    ledger = cards.locate(card.code).ledger
    assert ledger.settle_key(card.code, "k-lost").kind is EntryKind.CANCELLED
    with pytest.raises(KeyGivenUp):
        ledger.redeem(card.code, sgd(500), "k-lost")
    assert cards.balance(card.code).balance == sgd(1000)
    # A key that did debit stays a debit when recovery asks.
    ledger.redeem(card.code, sgd(300), "k-done")
    assert ledger.settle_key(card.code, "k-done").kind is EntryKind.REDEEM


def test_every_entry_is_in_the_audit_trail_and_an_edited_one_is_found(office):
    cards = office.gift_cards
    card = cards.issue(sgd(5000), "k1")
    # A reload, not a redemption: a redeem entry with no redemption in the sale journal is itself a
    # finding (tests/giftcards/test_hostile_audit.py), and a back office has no till to redeem at.
    cards.locate(card.code).ledger.credit(card.code, EntryKind.RELOAD, sgd(1000), "k2")
    assert office.audit.verify() is None
    with sqlite3.connect(office.data_dir / "pos.sqlite3") as conn:
        conn.execute("UPDATE gift_card_entries SET amount_minor = 10 WHERE kind = 'reload'")
    found = office.audit.verify()
    assert found is not None and "gift card" in str(found)


def test_an_entry_inserted_behind_the_tills_back_is_found(office):
    cards = office.gift_cards
    card = cards.issue(sgd(500), "k1")
    with sqlite3.connect(office.data_dir / "pos.sqlite3") as conn:
        conn.execute(
            "INSERT INTO gift_card_entries (card_id, kind, amount_minor, entry_key, at, note)"
            " SELECT id, 'reload', 100000, 'forged', '2026-12-06T00:00:00', '' FROM gift_cards WHERE code = ?",
            (card.code,),
        )
    found = office.audit.verify()
    assert found is not None and "gift card entry" in str(found)

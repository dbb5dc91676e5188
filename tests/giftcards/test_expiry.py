"""Gift card expiry (issue 24 leftover: the ledger had an `expire` kind nothing wrote). The owner may set
an expiry (`gift_card_expiry_months`, none by default: many jurisdictions forbid it); a card stamped with
its day when issued cannot be spent from that day (said in the cashier's words), and
`pos giftcards expire` (a manager, `--as`) takes what is left off it, once. The store's calendar is moved
as a misset clock would be (`pos.app.today_in`, what the wiring reads the store's day from); real SQLite,
the real CLI in process, the sandbox for the till's wiring."""

from __future__ import annotations

import json
from datetime import date

import pytest

from pos.app import open_back_office
from pos.domain.giftcards import expiry_day
from pos.domain.money import Money
from pos.domain.catalog import Product
from pos.services.outcomes import Failed, PartPaid
from pos.services.settings import SettingsError
from tests.cli.test_cli import pos


def sgd(minor: int) -> Money:
    return Money(minor, "SGD")


@pytest.mark.parametrize(
    "issued,months,expires",
    [
        (date(2026, 12, 6), 12, date(2027, 12, 6)),
        (date(2026, 12, 6), 1, date(2027, 1, 6)),
        (date(2027, 1, 31), 1, date(2027, 2, 28)),  # a month without the day ends on its last day
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 12, 6), 0, None),  # none: the default
    ],
)
def test_the_expiry_day_is_whole_months_after_the_card_is_issued(issued, months, expires):
    assert expiry_day(issued, months) == expires


def later(monkeypatch, day: date) -> None:
    """The store's calendar moved to `day` (the stored timestamps' clock is not what decides expiry)."""
    monkeypatch.setattr("pos.app.today_in", lambda _zone: day)


def test_by_default_a_card_never_expires_and_expire_writes_nothing(tmp_path, monkeypatch):
    data = str(tmp_path / "till")
    issued = pos("--data-dir", data, "giftcards", "issue", "--amount", "20.00")
    code = issued.stdout.strip()
    later(monkeypatch, date(2099, 1, 1))
    balance = pos("--data-dir", data, "giftcards", "balance", code, "--format", "json")
    assert json.loads(balance.stdout) == {"code": code, "balance_minor": 2000, "currency": "SGD"}
    done = pos("--data-dir", data, "giftcards", "expire")
    assert done.returncode == 0 and done.stdout == "No gift card past its expiry day holds money: nothing to expire.\n"
    assert "expired" not in pos("--data-dir", data, "giftcards", "balance", code).stdout


def test_the_setting_is_checked_at_every_door_and_shared_by_the_shop(tmp_path):
    from pos.adapters.db.settings import SHOP_WIDE

    data = str(tmp_path / "till")
    refused = pos("--data-dir", data, "settings", "set", "gift_card_expiry_months", "601")
    assert refused.returncode != 0 and "Gift cards expire 0 (never) to 600 months" in refused.stderr
    office = open_back_office(data)
    try:
        with pytest.raises(SettingsError):
            office.store_settings.change("gift_card_expiry_months", "-1")
        assert office.settings.gift_card_expiry_months == 0
    finally:
        office.close()
    assert "gift_card_expiry_months" in SHOP_WIDE  # one policy for every till's cards


def test_a_card_past_its_day_is_refused_at_the_counter_and_expire_takes_the_rest_once(
    tmp_path, sandbox, api_key, monkeypatch
):
    from pos.app import build_context

    data = tmp_path / "till"
    office = open_back_office(data)
    office.store_settings.change("gift_card_expiry_months", "12")
    office.staff.add("Ann", "manager", "2468")
    office.staff.add("Bob", "cashier", "1357")
    office.close()
    today = date.today()
    stamped = expiry_day(today, 12)
    assert stamped is not None
    issued = pos("--data-dir", str(data), "--as", "Ann", "giftcards", "issue", "--amount", "30.00", stdin="2468\n")
    assert issued.returncode == 0, issued.stderr
    code = issued.stdout.strip()
    as_json = json.loads(pos("--data-dir", str(data), "giftcards", "balance", code, "--format", "json").stdout)
    assert as_json["expires_on"] == stamped.isoformat()
    # The setting changed later does not move a card already sold.
    office = open_back_office(data)
    office.store_settings.change("gift_card_expiry_months", "0")
    office.close()

    monkeypatch.setenv("POS_STRIPE_API_KEY", api_key)
    context = build_context(data, stripe_base_url=sandbox.url)
    try:
        cake = context.catalog.save(Product("CAKE", "Cake", "Food", sgd(4500), 900))
        context.till.cart.add(cake, 1)
        spent = context.till.pay_gift_card(code)  # the day before it expires: spent as any card
        assert isinstance(spent, PartPaid) and spent.tender.amount == sgd(3000), spent
        assert context.gift_cards.balance(code).balance == sgd(0)
    finally:
        context.close()
    # Back on the card by a reload paid the day before (the ledger's own entry), then the day comes.
    office = open_back_office(data)
    office.gift_cards.reload(code, sgd(1200), "pos-test-reload")
    office.close()
    later(monkeypatch, stamped)
    context = build_context(data, stripe_base_url=sandbox.url)
    try:
        checked = context.till.check_gift_card(code, sgd(4500))
        assert checked.takes is None
        assert checked.message.endswith(f"holds SGD 12.00. This gift card expired on {stamped}: it cannot be used.")
        context.till.cart.clear()
        context.till.cart.add(context.catalog.find_code("CAKE"), 1)
        refused = context.till.pay_gift_card(code)
        assert isinstance(refused, Failed)
        assert refused.message == (
            f"This gift card expired on {stamped}: it cannot be used. Nothing was taken from the card."
        )
        assert context.gift_cards.balance(code).balance == sgd(1200)
    finally:
        context.close()
    said = pos("--data-dir", str(data), "giftcards", "balance", code).stdout
    assert said.endswith(f": SGD 12.00 (expired on {stamped})\n")

    cashier = pos("--data-dir", str(data), "--as", "Bob", "giftcards", "expire", stdin="1357\n")
    assert cashier.returncode == 1 and "may not take what is left off expired gift cards" in cashier.stderr.lower()
    first = pos("--data-dir", str(data), "--as", "Ann", "giftcards", "expire", stdin="2468\n")
    assert first.returncode == 0, first.stderr
    assert first.stdout == (
        f"card …{code[-4:]}: SGD 12.00 expired (its day was {stamped})\nExpired 1 gift card: SGD 12.00 taken off.\n"
    )
    again = pos("--data-dir", str(data), "--as", "Ann", "giftcards", "expire", stdin="2468\n")
    assert again.returncode == 0 and again.stdout.startswith("No gift card past its expiry day holds money")
    office = open_back_office(data)
    try:
        assert office.gift_cards.balance(code).balance == sgd(0)
        found = office.gift_cards.locate(code)
        kinds = [e.kind.value for e in found.ledger.entries(found.card.code)]
        assert kinds.count("expire") == 1 and kinds[-1] == "expire"
        events = [e for e in office.audit.export(None, None) if e["kind"] == "gift_card"]
        assert events[-1]["subject"] == f"gift card {code[-4:]} expire" and events[-1]["actor"] == "Ann"
        assert office.audit.verify() is None
    finally:
        office.close()


def test_a_part_paid_by_a_card_that_has_since_expired_is_not_refunded_onto_it(context, monkeypatch):
    """Money given back onto a card past its day could not be spent and the next `pos giftcards expire`
    would take it: the refund is refused in words before anything is written, and store credit (which
    never expires) takes it instead."""
    from pos.services.refund_phases import Refunded
    from pos.services.refunds import RefundFailed
    from pos.services.outcomes import Paid

    context.store_settings.change("gift_card_expiry_months", "1")
    card = context.gift_cards.issue(sgd(2000), "sold-1")
    cake = context.catalog.save(Product("CAKE", "Cake", "Food", sgd(4500), 900))
    context.till.cart.add(cake, 1)
    assert isinstance(context.till.pay_gift_card(card.code), PartPaid)
    paid = context.till.pay_cash(sgd(2500))
    assert isinstance(paid, Paid)
    receipt_id = context.receipts.receipt_id_for(paid.receipt.receipt_no, paid.receipt.till_id)
    later(monkeypatch, date.fromisoformat(card.expires_on))
    refused = context.refunds.refund(receipt_id, amount=sgd(4500))
    assert isinstance(refused, RefundFailed)
    assert refused.message == (
        f"This gift card expired on {card.expires_on}: it cannot be used. Give this part back as store credit instead."
    )
    assert context.refunds.basis(receipt_id).remaining_minor == 4500
    credited = context.refunds.refund(receipt_id, amount=sgd(4500), to_store_credit=True)
    assert isinstance(credited, Refunded) and credited.refund.store_credit_code, credited
    assert context.gift_cards.balance(card.code).balance == sgd(0)

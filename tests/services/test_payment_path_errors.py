"""Every failure on the payment path ends in a cashier's message that says whether money may have moved."""

from __future__ import annotations

from pos.services.checkout import Failed, Paid
from pos.services.recovery import recover
from tests.invariants import check_invariants


def db(shop):
    return shop.data_dir / "pos.sqlite3"


def test_3ds_card_whose_cancel_answers_500_says_nothing_was_charged(shop, sandbox):
    # Found by a hostile test: the exception escaped Checkout.charge ("Something went wrong").
    sandbox.faults.arm("/v1/payment_intents/*/cancel", method="POST", status=500, count=10)
    shop.cart_of((shop.latte, 1))
    result = shop.till.pay("pm_card_authenticationRequired")
    assert isinstance(result, Failed) and not result.money_may_have_moved
    assert "3D Secure" in result.message and "nothing was charged" in result.message
    sandbox.faults.clear()
    # Another card pays the same sale; nothing is left open.
    assert isinstance(shop.till.pay("pm_card_visa"), Paid)
    assert recover(shop.journal, shop.gateway) == []
    check_invariants(db(shop), shop.stripe)


def pay_with_a_bug_in(shop, monkeypatch, target, name, bug):
    """Charge one latte while `target.name` raises `bug` (a stand-in for a programming error)."""

    def broken(*_args, **_kwargs):
        raise bug

    monkeypatch.setattr(target, name, broken)
    shop.cart_of((shop.latte, 1))
    return shop.till.pay("pm_card_visa")


def test_an_unexpected_error_before_confirm_says_nothing_was_charged(shop, monkeypatch):
    result = pay_with_a_bug_in(shop, monkeypatch, shop.gateway, "create_payment_intent", KeyError("a bug"))
    assert isinstance(result, Failed) and not result.money_may_have_moved
    assert "Nothing was charged" in result.message and "a bug" not in result.message


def test_an_unexpected_error_after_confirm_says_money_may_have_moved(shop, monkeypatch):
    result = pay_with_a_bug_in(shop, monkeypatch, shop.journal, "finish_paid", ValueError("a bug in the receipt"))
    assert isinstance(result, Failed) and result.money_may_have_moved
    assert "Do NOT charge again" in result.message
    monkeypatch.undo()
    # The truth arrives on the next press: the receipt, from the same intent.
    assert isinstance(shop.till.pay("pm_card_visa"), Paid)
    check_invariants(db(shop), shop.stripe)

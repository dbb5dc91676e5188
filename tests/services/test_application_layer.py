"""The application layer: services built whole, their rules in one place, one phase machine."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pos.app import build_context, open_back_office
from pos.domain.money import Money
from pos.services.catalog import NotSaved, Saved
from pos.services.checkout import Paid
from pos.services.keys import KeyState
from pos.services.phases import Next, Phases, PhaseLoop, settle
from pos.services.refund_phases import RefundPhases
from pos.services.requests import ConfirmIntent, CreateIntent, CreateRefund
from pos.services.sale_phases import Goal, SalePhases
from pos.services.sales import JournalIntegrityError
from pos.services.settings import SettingsError
from pos.services.states import RefundState, SaleState


def test_a_key_change_builds_new_services_around_the_same_cart(tmp_path, sandbox, api_key):
    context = build_context(tmp_path / "data", stripe_base_url=sandbox.url, api_key=api_key)
    try:
        product = context.catalog.find_code("CRASH-1") or context.catalog.save(_product("CRASH-1", "Test coffee", 450))
        old_till, old_refunds = context.till, context.refunds
        old_till.cart.add(product, 2)
        context.use_key(KeyState(None, "demo"))
        assert context.till is not old_till and context.refunds is not old_refunds
        assert context.till.checkout.gateway is not old_till.checkout.gateway
        assert context.till.cart is old_till.cart and context.till.cart.lines[0].quantity == 2
        # The new services work: the demo key on the same server, under the demo till id.
        paid = context.till.pay("pm_card_visa")
        assert isinstance(paid, Paid) and paid.receipt.till_id == "DEMO-T1"
    finally:
        context.close()


def test_the_till_id_is_asked_at_each_sale_not_patched_into_the_service(tmp_path, sandbox, api_key):
    context = build_context(tmp_path / "data", stripe_base_url=sandbox.url, api_key=api_key)
    try:
        context.store_settings.save(replace(context.settings, till_id="FRONT"))
        context.till.cart.add(context.catalog.save(_product("TEA", "Tea", 300)), 1)
        paid = context.till.pay("pm_card_visa")
        assert isinstance(paid, Paid) and paid.receipt.till_id == "FRONT"
        assert not hasattr(context.till.checkout, "till_id")
    finally:
        context.close()


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"currency": "XYZ"}, "unknown currency XYZ"),
        ({"time_zone": "Mars/Olympus"}, "is not a time zone"),
        ({"till_id": "  "}, "The till id cannot be empty."),
    ],
)
def test_store_settings_are_checked_by_the_service(tmp_path, change, words):
    office = _office(tmp_path)
    try:
        before = office.settings
        with pytest.raises(SettingsError) as caught:
            office.store_settings.save(replace(before, **change))
        assert words in str(caught.value)
        assert office.settings == before
        saved = office.store_settings.save(replace(before, currency=" usd ", till_id=" T9 "))
        assert (saved.currency, saved.till_id) == ("USD", "T9")
    finally:
        office.close()


def test_catalog_rules_are_the_services_not_a_dialogs(tmp_path):
    office = _office(tmp_path)
    try:
        row = {"sku": "LAT", "barcode": "111", "name": "Latte", "category": "Coffee", "price": "5.80", "tax_rate": "9"}
        saved = office.catalog.save_form(row, active=True)
        assert isinstance(saved, Saved) and saved.product.price == Money(580, "SGD")
        clash = office.catalog.save_form({**row, "sku": "MOC", "name": "Mocha"}, active=True)
        assert clash == NotSaved("Not saved: barcode 111 belongs to Latte (LAT).")
        renamed = office.catalog.save_form({**row, "sku": "LAT2"}, active=True, editing=saved.product)
        assert isinstance(renamed, NotSaved) and "SKU of an existing product cannot change" in renamed.message
        bad = office.catalog.save_form({**row, "price": "1e30"}, active=True)
        assert isinstance(bad, NotSaved) and bad.message.startswith("Not saved:")
        assert [p.sku for p in office.catalog.all(include_inactive=True)] == ["LAT"]
    finally:
        office.close()


def test_every_recovery_point_has_a_phase_for_every_goal():
    for goal in Goal:
        confirm = ConfirmIntent("pm_card_visa") if goal is Goal.CHARGE else None
        phases = SalePhases(None, None, goal, confirm=confirm)  # type: ignore[arg-type] - only the table is read
        for state in SaleState:
            assert callable(phases.phase(_sale_in(state)))
    refund_phases = RefundPhases(None, None)  # type: ignore[arg-type]
    for state in RefundState:
        assert callable(refund_phases.phase(_refund_in(state)))
    with pytest.raises(ValueError):
        SalePhases(None, None, Goal.PARK, confirm=ConfirmIntent("pm_card_visa"))  # type: ignore[arg-type]


def test_a_phase_that_never_ends_is_a_bug_for_a_person_not_a_loop():
    class Stuck(Phases[int, str]):
        def phase(self, record):
            return lambda n: Next(n + 1)

    with pytest.raises(PhaseLoop) as caught:
        settle(Stuck(), 0)
    assert isinstance(caught.value, JournalIntegrityError)


def test_requests_read_back_from_the_journal_as_written_and_as_older_tills_wrote_them():
    create = CreateIntent(Money(580, "SGD"), "abc", "T1")
    assert CreateIntent.from_json(create.to_json()) == create
    stripe_shaped = {"amount": 580, "currency": "sgd", "metadata": {"sale_id": "abc", "till_id": "T1"}}
    assert CreateIntent.from_json(stripe_shaped) == create
    assert ConfirmIntent.from_json({"payment_method": "pm_card_visa", "expand": ["latest_charge"]}) == ConfirmIntent(
        "pm_card_visa"
    )
    refund = CreateRefund("pi_1", Money(100, "JPY"), "requested_by_customer", "k1", 7, "T1")
    assert CreateRefund.from_json(refund.to_json(), "SGD") == refund
    old = {
        "payment_intent": "pi_1",
        "amount": 100,
        "reason": "requested_by_customer",
        "metadata": {"refund_key": "k1", "receipt_no": "7", "till_id": "T1"},
    }
    assert CreateRefund.from_json(old, "JPY") == refund


def _office(tmp_path):
    from pos.adapters.db.storage import prepare_data_dir

    prepare_data_dir(tmp_path / "data")
    return open_back_office(tmp_path / "data")


def _product(sku: str, name: str, price: int):
    from pos.domain.catalog import Product

    return Product(sku=sku, name=name, category="Test", price=Money(price, "SGD"), tax_rate_bp=900)


def _sale_in(state: SaleState):
    from pos.services.sales import SaleRecord

    return SaleRecord(1, "k", "T1", state, "SGD", 100, CreateIntent(Money(100, "SGD"), "k", "T1"), None, "")


def _refund_in(state: RefundState):
    from pos.services.refund_journal import RefundRecord

    request = CreateRefund("pi_1", Money(100, "SGD"), None, "k", 1, "T1")
    return RefundRecord(1, "k", 1, state, 100, "SGD", request, "")

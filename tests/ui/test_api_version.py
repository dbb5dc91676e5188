"""A sale through the window on the SDK's API version, and what the cashier sees if the till sent a
parameter that version refuses."""

from __future__ import annotations

from stripe._api_version import _ApiVersion

from pos.adapters import stripe_params
from tests.helpers.sdk_params import undeclared
from tests.services.conftest import sandbox_client

from .conftest import wait_idle
from .test_till import charge, open_payment, ring_up_three


def test_a_sale_through_the_window_speaks_the_sdks_version(qtbot, window, sandbox):
    ring_up_three(qtbot, window)
    with sandbox.recording() as exchanges:
        dialog = open_payment(qtbot, window)
        charge(qtbot, dialog, "pm_card_chargeDeclined")
        charge(qtbot, dialog, "pm_card_visa")
        assert dialog.receipt_view.isVisible()
        wait_idle(qtbot)  # the receipt number is added to the intent's metadata in the background
    assert {e.version for e in exchanges} == {_ApiVersion.CURRENT}
    assert [e.params_type for e in exchanges if e.method == "POST"][:1] == ["PaymentIntentCreateParams"]
    assert all(not undeclared(e.params_type, e.params) for e in exchanges)


def test_a_parameter_the_version_refuses_fails_clearly(qtbot, window, sandbox, api_key, monkeypatch):
    # As the till did before decision 0003: Stripe refuses payment_method_types on endive.
    original = stripe_params.create_params

    def with_old_parameter(request):
        params = original(request)
        params.pop("allowed_payment_method_types")
        return {**params, "payment_method_types": ["card"]}

    monkeypatch.setattr(stripe_params, "create_params", with_old_parameter)
    ring_up_three(qtbot, window)
    dialog = open_payment(qtbot, window)
    charge(qtbot, dialog, "pm_card_visa")
    message = dialog.message.text()
    assert "Stripe refused the payment" in message and "payment_method_types" in message
    assert "Nothing was charged" in message
    assert not dialog.receipt_view.isVisible()
    assert len(window.till.cart.lines) == 3
    assert sandbox_client(sandbox, api_key).v1.payment_intents.list().data == []

"""Stripe Terminal's server-driven readers in the sandbox, driven by the official client over HTTP."""

from __future__ import annotations

import pytest
import requests
import stripe

from pos.sandbox.terminal import PRESENT_CARDS

CARD_PRESENT = {"allowed_payment_method_types": ["card_present"]}


@pytest.fixture
def reader(client):
    location = client.v1.terminal.locations.create(
        {"display_name": "Main St", "address": {"country": "SG", "line1": "1 Main St"}}
    )
    return client.v1.terminal.readers.create(
        {"registration_code": "simulated-wpe", "location": location.id, "label": "Till 1"}
    )


def _intent(client, amount=1250, **extra):
    return client.v1.payment_intents.create({"amount": amount, "currency": "sgd", **CARD_PRESENT, **extra})


def _present(client, reader_id, number=None, **extra):
    body = {"card_present": {"number": number}} if number else {}
    return client.v1.test_helpers.terminal.readers.present_payment_method(reader_id, {**body, **extra})


# -- registering -----------------------------------------------------------------------------
def test_simulated_registration_codes_make_simulated_readers(client):
    made = {
        code: client.v1.terminal.readers.create({"registration_code": code}).device_type
        for code in ("simulated-wpe", "simulated-s700", "simulated-s710")
    }
    assert made == {
        "simulated-wpe": "simulated_wisepos_e",
        "simulated-s700": "simulated_stripe_s700",
        "simulated-s710": "simulated_stripe_s710",
    }
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.terminal.readers.create({"registration_code": "purple-cat-dance"})
    assert caught.value.param == "registration_code"


def test_readers_are_listed_by_location_labelled_and_deleted(client, reader):
    other = client.v1.terminal.locations.create({"display_name": "Kiosk", "address": {"country": "SG"}})
    client.v1.terminal.readers.create({"registration_code": "simulated-s700", "location": other.id})
    listed = client.v1.terminal.readers.list({"location": reader.location})
    assert [r.id for r in listed.data] == [reader.id]
    assert reader.status == "online" and reader.action is None and reader.label == "Till 1"
    assert client.v1.terminal.readers.update(reader.id, {"label": "Front"}).label == "Front"
    assert client.v1.terminal.readers.delete(reader.id).deleted is True
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.terminal.readers.retrieve(reader.id)
    assert caught.value.http_status == 404
    assert client.v1.terminal.readers.list({"location": reader.location}).data == []


def test_a_location_needs_a_name_and_an_address(client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.terminal.locations.create({"address": {"country": "SG"}})
    assert caught.value.param == "display_name"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.terminal.locations.create({"display_name": "x", "address": {"city": "Singapore"}})
    assert caught.value.param == "address[country]"


# -- paying on the reader ----------------------------------------------------------------------
def test_the_customers_tap_pays_the_intent_with_card_present_details(client, reader):
    pi = _intent(client)
    acting = client.v1.terminal.readers.process_payment_intent(reader.id, {"payment_intent": pi.id})
    assert (acting.action.type, acting.action.status) == ("process_payment_intent", "in_progress")
    assert acting.action.process_payment_intent.payment_intent == pi.id
    assert client.v1.payment_intents.retrieve(pi.id).status == "requires_payment_method"
    done = _present(client, reader.id, "5555555555554444")
    assert done.action.status == "succeeded"
    paid = client.v1.payment_intents.retrieve(pi.id, {"expand": ["latest_charge"]})
    assert (paid.status, paid.amount_received) == ("succeeded", 1250)
    details = paid.latest_charge.payment_method_details
    assert details.type == "card_present"
    assert (details.card_present.brand, details.card_present.last4) == ("mastercard", "4444")
    assert details.card_present.read_method == "contactless_emv"
    assert details.card_present.reader == reader.id
    assert details.card_present.receipt.authorization_code == paid.latest_charge.authorization_code
    # Refunded through the Refunds API without the card, as Stripe does for card_present.
    assert client.v1.refunds.create({"payment_intent": pi.id}).status == "succeeded"


def test_a_tip_on_the_reader_is_added_to_the_amount(client, reader):
    pi = _intent(client, 1000)
    client.v1.terminal.readers.process_payment_intent(reader.id, {"payment_intent": pi.id})
    _present(client, reader.id, amount_tip=150)
    paid = client.v1.payment_intents.retrieve(pi.id)
    assert (paid.amount, paid.amount_received, paid.amount_details.tip.amount) == (1150, 1150, 150)


def test_a_reader_told_to_skip_tipping_adds_no_tip(client, reader):
    pi = _intent(client, 1000)
    client.v1.terminal.readers.process_payment_intent(
        reader.id, {"payment_intent": pi.id, "process_config": {"skip_tipping": True}}
    )
    _present(client, reader.id, amount_tip=150)
    paid = client.v1.payment_intents.retrieve(pi.id)
    assert (paid.amount, paid.amount_received) == (1000, 1000)


@pytest.mark.parametrize(
    "number", [n for n, card in PRESENT_CARDS.items() if card.decline is not None], ids=lambda n: n[-4:]
)
def test_each_decline_number_fails_the_action_and_keeps_the_intent_payable(client, reader, number):
    decline = PRESENT_CARDS[number].decline
    pi = _intent(client)
    client.v1.terminal.readers.process_payment_intent(reader.id, {"payment_intent": pi.id})
    failed = _present(client, reader.id, number)
    assert (failed.action.status, failed.action.failure_code) == ("failed", decline.code)
    assert failed.action.failure_message == decline.message
    again = client.v1.payment_intents.retrieve(pi.id)
    assert again.status == "requires_payment_method"
    assert again.last_payment_error.decline_code == decline.decline_code
    # The same intent can be handed to the reader again and paid.
    client.v1.terminal.readers.process_payment_intent(reader.id, {"payment_intent": pi.id})
    assert _present(client, reader.id).action.status == "succeeded"


def test_manual_capture_waits_with_a_capture_deadline(client, reader):
    pi = _intent(client, capture_method="manual")
    client.v1.terminal.readers.process_payment_intent(reader.id, {"payment_intent": pi.id})
    _present(client, reader.id)
    held = client.v1.payment_intents.retrieve(pi.id, {"expand": ["latest_charge"]})
    assert held.status == "requires_capture"
    card = held.latest_charge.payment_method_details.card_present
    assert card.capture_before == held.latest_charge.created + 2 * 86400
    assert client.v1.payment_intents.capture(pi.id).status == "succeeded"


def test_interac_needs_an_intent_that_accepts_it(client, reader):
    pi = _intent(client)
    client.v1.terminal.readers.process_payment_intent(reader.id, {"payment_intent": pi.id})
    refused = client.v1.test_helpers.terminal.readers.present_payment_method(reader.id, {"type": "interac_present"})
    assert refused.action.failure_code == "payment_intent_incompatible_payment_method"
    interac = client.v1.payment_intents.create(
        {"amount": 800, "currency": "cad", "allowed_payment_method_types": ["card_present", "interac_present"]}
    )
    client.v1.terminal.readers.process_payment_intent(reader.id, {"payment_intent": interac.id})
    client.v1.test_helpers.terminal.readers.present_payment_method(reader.id, {"type": "interac_present"})
    paid = client.v1.payment_intents.retrieve(interac.id, {"expand": ["latest_charge"]})
    assert paid.latest_charge.payment_method_details.type == "interac_present"


def test_a_card_present_intent_refuses_a_card_not_present_confirm(client):
    pi = _intent(client)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_visa"})
    assert caught.value.code == "payment_intent_incompatible_payment_method"


# -- what goes wrong at a counter -----------------------------------------------------------------
def test_a_busy_reader_refuses_a_second_action(client, reader):
    first, second = _intent(client), _intent(client)
    client.v1.terminal.readers.process_payment_intent(reader.id, {"payment_intent": first.id})
    for call in (
        lambda: client.v1.terminal.readers.process_payment_intent(reader.id, {"payment_intent": second.id}),
        lambda: client.v1.terminal.readers.set_reader_display(
            reader.id,
            {
                "type": "cart",
                "cart": {
                    "currency": "sgd",
                    "line_items": [{"amount": 1, "description": "x", "quantity": 1}],
                    "total": 1,
                },
            },
        ),
    ):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            call()
        assert caught.value.code == "terminal_reader_busy"


def test_cancel_action_stops_the_wait_and_nothing_is_charged(client, reader):
    pi = _intent(client)
    client.v1.terminal.readers.process_payment_intent(reader.id, {"payment_intent": pi.id})
    stopped = client.v1.terminal.readers.cancel_action(reader.id)
    assert (stopped.action.status, stopped.action.failure_code) == ("failed", "canceled")
    assert client.v1.payment_intents.retrieve(pi.id).status == "requires_payment_method"
    assert client.v1.charges.list({"payment_intent": pi.id}).data == []
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.terminal.readers.cancel_action(reader.id)
    with pytest.raises(stripe.InvalidRequestError):
        _present(client, reader.id)  # nothing to present to


def test_an_offline_reader_and_a_timeout_refuse_the_action(client, sandbox, reader):
    pi = _intent(client)
    sandbox.set_reader(reader.id, online=False)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.terminal.readers.process_payment_intent(reader.id, {"payment_intent": pi.id})
    assert caught.value.code == "terminal_reader_offline"
    assert client.v1.terminal.readers.retrieve(reader.id).status == "offline"
    sandbox.set_reader(reader.id, online=True, unresponsive=True)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.terminal.readers.process_payment_intent(reader.id, {"payment_intent": pi.id})
    assert caught.value.code == "terminal_reader_timeout"
    assert client.v1.terminal.readers.retrieve(reader.id).action is None  # it never reached the reader
    sandbox.set_reader(reader.id, unresponsive=False)


def test_the_customer_cancels_on_the_reader(client, sandbox, reader):
    pi = _intent(client)
    client.v1.terminal.readers.process_payment_intent(
        reader.id, {"payment_intent": pi.id, "process_config": {"enable_customer_cancellation": True}}
    )
    r = requests.post(f"{sandbox.url}/_sandbox/terminal/readers/{reader.id}/customer_cancel")
    assert r.status_code == 200
    action = client.v1.terminal.readers.retrieve(reader.id).action
    assert (action.status, action.failure_code) == ("failed", "customer_canceled")


def test_a_lost_answer_is_replayed_by_its_idempotency_key(client, sandbox, reader):
    pi = _intent(client)
    sandbox.faults.arm(f"/v1/terminal/readers/{reader.id}/process_payment_intent", drop=True)
    with pytest.raises(stripe.APIConnectionError):
        client.v1.terminal.readers.process_payment_intent(
            reader.id, {"payment_intent": pi.id}, {"idempotency_key": "till-1-reader-1"}
        )
    again = client.v1.terminal.readers.process_payment_intent(
        reader.id, {"payment_intent": pi.id}, {"idempotency_key": "till-1-reader-1"}
    )
    assert again.action.status == "in_progress"  # the first one landed: replayed, not refused as busy


def test_cancelling_the_intent_frees_the_reader(client, reader):
    pi = _intent(client)
    client.v1.terminal.readers.process_payment_intent(reader.id, {"payment_intent": pi.id})
    client.v1.payment_intents.cancel(pi.id)
    action = client.v1.terminal.readers.retrieve(reader.id).action
    assert action.status == "failed"


def test_the_cart_shows_on_the_reader(client, reader):
    cart = {
        "currency": "sgd",
        "line_items": [{"amount": 450, "description": "Flat white", "quantity": 2}],
        "tax": 81,
        "total": 900,
    }
    shown = client.v1.terminal.readers.set_reader_display(reader.id, {"type": "cart", "cart": cart})
    # Stripe's answer: the cart shows while the action is in progress.
    assert (shown.action.type, shown.action.status) == ("set_reader_display", "in_progress")
    assert shown.action.set_reader_display.cart.line_items[0].description == "Flat white"
    assert shown.action.set_reader_display.cart.total == 900
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.terminal.readers.set_reader_display(reader.id, {"type": "cart", "cart": {"currency": "sgd"}})
    assert caught.value.param == "cart[line_items]"
    again = client.v1.terminal.readers.set_reader_display(reader.id, {"type": "cart", "cart": {**cart, "total": 450}})
    assert again.action.set_reader_display.cart.total == 450  # the next cart replaces it


def test_cancel_action_clears_the_display_and_a_payment_takes_the_screen_over(client, reader):
    """docs.stripe.com/terminal/features/display: "To clear reader display on the server-driven
    integration, call the cancel_action endpoint"; its answer has `action: null`."""
    line = {"amount": 450, "description": "Flat white", "quantity": 1}
    cart = {"currency": "sgd", "line_items": [line], "total": 450}
    client.v1.terminal.readers.set_reader_display(reader.id, {"type": "cart", "cart": cart})
    cleared = client.v1.terminal.readers.cancel_action(reader.id)
    assert cleared.action is None and client.v1.terminal.readers.retrieve(reader.id).action is None
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.terminal.readers.cancel_action(reader.id)  # nothing shows now
    client.v1.terminal.readers.set_reader_display(reader.id, {"type": "cart", "cart": cart})
    pi = _intent(client)
    taken = client.v1.terminal.readers.process_payment_intent(reader.id, {"payment_intent": pi.id})
    assert (taken.action.type, taken.action.status) == ("process_payment_intent", "in_progress")

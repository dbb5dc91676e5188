"""The sandbox held to Stripe's machine-readable definitions, not to a hand-written list.

Cases come from the installed `stripe` package (the API version it pins, its params
types, its resource classes' annotations) and from Stripe's own example objects
(`fixtures3.json` of stripe/openapi, vendored in `reference/`). Move the SDK to another
minor version and these tests say what changed: the definitions file is stale, a field
is new or gone, a parameter appeared.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import requests
import stripe
from stripe._api_version import _ApiVersion

from pos.sandbox import definitions, running_sandbox, versions
from pos.sandbox.server import ROUTES
from tests.helpers.cards import CARD_ONLY

from .stripe_schema import RESOURCES, Report, check_declared, check_response, required_fields, type_conditional

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent / "reference"
SHARED_FIXTURES = ROOT.parent / "shared" / "reference" / "stripe-openapi" / "fixtures3.json"


def _sync_script():
    spec = importlib.util.spec_from_file_location("sync_sandbox_params", ROOT / "scripts" / "sync-sandbox-params.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _params_type(name: str):
    """A params type of stripe.params by name, dotted for sub-packages (`terminal.ReaderCreateParams`)."""
    found = stripe.params
    for part in name.split("."):
        found = getattr(found, part, None)
    return found


# -- the SDK's version is one the sandbox knows --------------------------------------------
def test_sandbox_knows_the_sdk_api_version():
    # Fails when the stripe package is upgraded to a version the sandbox has not been taught.
    assert versions.CURRENT == _ApiVersion.CURRENT
    assert definitions.API_VERSION == _ApiVersion.CURRENT
    assert _ApiVersion.CURRENT in versions.known()


def test_definitions_file_matches_installed_sdk():
    # `scripts/sync-sandbox-params.py` regenerates it; its diff is the list of what changed.
    expected = _sync_script().definitions()
    actual = json.loads((ROOT / "pos" / "sandbox" / "stripe_definitions.json").read_text())
    assert actual["api_version"] == expected["api_version"]
    for name, names in expected["params"].items():
        assert actual["params"].get(name) == names, f"{name}: parameters differ from the SDK"
    assert actual["expandable"] == expected["expandable"]
    # Absent versus null, from stripe-node's declarations at the same API version (tests/node).
    assert actual["fields"] == expected["fields"]


def test_every_route_names_a_params_type_of_the_sdk():
    for _method, _path, handler, _pk, params_type, _returns in ROUTES:
        assert _params_type(params_type) is not None, params_type
        assert params_type in definitions.DECLARED, params_type
        assert handler in definitions.IMPLEMENTED, handler


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r[2])
def test_every_implemented_parameter_is_declared_by_the_sdk(route):
    _method, _path, handler, _pk, params_type, _returns = route
    undeclared = definitions.IMPLEMENTED[handler] - definitions.DECLARED[params_type]
    assert not undeclared, f"{handler} accepts {sorted(undeclared)}, which {params_type} does not declare"


# -- what the sandbox answers, recorded while the SDK drives every flow ---------------------
@pytest.fixture(scope="module")
def recorded():
    exchanges = []
    with running_sandbox(recorder=exchanges.append) as sb:
        client = stripe.StripeClient("sk_test_conformance", base_addresses={"api": sb.url})
        _drive_every_flow(client)
        yield sb, client, exchanges


def _drive_every_flow(client):
    pis = client.v1.payment_intents
    made = pis.create(
        {"amount": 2000, "currency": "sgd", **CARD_ONLY, "metadata": {"sale_id": "c-1"}},
        {"idempotency_key": "conf-create"},
    )
    pis.create(
        {"amount": 2000, "currency": "sgd", **CARD_ONLY, "metadata": {"sale_id": "c-1"}},
        {"idempotency_key": "conf-create"},
    )  # replay
    paid = pis.confirm(made.id, {"payment_method": "pm_card_visa", "expand": ["latest_charge"]})
    pis.retrieve(paid.id, {"expand": ["latest_charge", "payment_method"]})
    pis.update(paid.id, {"metadata": {"receipt_no": "0001"}})
    declined = pis.create({"amount": 1500, "currency": "sgd", **CARD_ONLY})
    with pytest.raises(stripe.CardError):
        pis.confirm(declined.id, {"payment_method": "pm_card_chargeDeclinedInsufficientFunds"})
    pis.retrieve(declined.id)
    action = pis.create(
        {
            "amount": 1500,
            "currency": "sgd",
            **CARD_ONLY,
            "payment_method": "pm_card_authenticationRequired",
            "confirm": True,
        }
    )
    pis.cancel(action.id, {"cancellation_reason": "abandoned"})
    held = pis.create(
        {
            "amount": 5000,
            "currency": "usd",
            **CARD_ONLY,
            "capture_method": "manual",
            "payment_method": "pm_card_mastercard",
            "confirm": True,
        }
    )
    pis.capture(held.id, {"amount_to_capture": 3000})
    client.v1.refunds.create(
        {"payment_intent": paid.id, "amount": 500, "reason": "requested_by_customer", "metadata": {"refund_key": "r1"}}
    )
    client.v1.refunds.create({"payment_intent": held.id})
    client.v1.refunds.list({"payment_intent": paid.id, "limit": 100})
    client.v1.charges.retrieve(paid.latest_charge.id, {"expand": ["refunds", "payment_intent"]})
    client.v1.charges.list({"payment_intent": held.id})
    pis.list({"limit": 3, "expand": ["data.latest_charge"]})
    pis.search({"query": "metadata['sale_id']:'c-1'", "limit": 10})
    client.v1.payment_methods.retrieve("pm_card_amex")
    automatic = pis.create(
        {"amount": 1000, "currency": "eur", "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
    )
    pis.confirm(automatic.id, {"payment_method": "pm_card_visa"})
    _drive_terminal(client)
    for call in (
        lambda: pis.retrieve("pi_missing"),
        lambda: pis.confirm(paid.id),
        lambda: pis.create({"amount": 0, "currency": "sgd"}),
        lambda: client.v1.refunds.create({"payment_intent": paid.id, "amount": 999999}),
    ):
        with pytest.raises(stripe.StripeError):
            call()


def _drive_terminal(client):
    """The server-driven Terminal flows: a location, a simulated reader, a cart shown, a decline, a
    tap with a tip, a cancelled action, the reader's errors."""
    terminal, helpers = client.v1.terminal, client.v1.test_helpers.terminal
    location = terminal.locations.create(
        {"display_name": "Counter", "address": {"country": "SG", "line1": "1 Orchard Rd", "postal_code": "238800"}}
    )
    terminal.locations.retrieve(location.id)
    terminal.locations.list({"limit": 5})
    reader = terminal.readers.create({"registration_code": "simulated-wpe", "location": location.id, "label": "Till 1"})
    terminal.readers.list({"location": location.id, "status": "online"})
    terminal.readers.update(reader.id, {"label": "Front till", "metadata": {"till_id": "T1"}})
    cart = {
        "currency": "sgd",
        "line_items": [{"amount": 450, "description": "Flat white", "quantity": 1}],
        "total": 450,
    }
    terminal.readers.set_reader_display(reader.id, {"type": "cart", "cart": cart})
    terminal.readers.cancel_action(reader.id)  # the display cleared: `action` null again
    terminal.readers.set_reader_display(reader.id, {"type": "cart", "cart": cart})
    pi = client.v1.payment_intents.create(
        {"amount": 450, "currency": "sgd", "allowed_payment_method_types": ["card_present"]}
    )
    terminal.readers.process_payment_intent(reader.id, {"payment_intent": pi.id}, {"idempotency_key": "conf-reader-1"})
    with pytest.raises(stripe.InvalidRequestError):
        terminal.readers.set_reader_display(reader.id, {"type": "cart", "cart": cart})  # busy
    helpers.readers.present_payment_method(reader.id, {"card_present": {"number": "4000000000000002"}})
    client.v1.payment_intents.retrieve(pi.id)
    terminal.readers.process_payment_intent(reader.id, {"payment_intent": pi.id})
    helpers.readers.present_payment_method(reader.id, {"type": "card_present", "amount_tip": 50})
    paid = client.v1.payment_intents.retrieve(pi.id, {"expand": ["latest_charge", "payment_method"]})
    client.v1.refunds.create({"payment_intent": paid.id, "amount": 100})
    other = client.v1.payment_intents.create(
        {"amount": 300, "currency": "sgd", "allowed_payment_method_types": ["card_present"]}
    )
    terminal.readers.process_payment_intent(reader.id, {"payment_intent": other.id})
    terminal.readers.cancel_action(reader.id)
    terminal.readers.retrieve(reader.id)
    with pytest.raises(stripe.InvalidRequestError):
        terminal.readers.cancel_action(reader.id)  # nothing in progress
    spare = terminal.readers.create({"registration_code": "simulated-s700"})
    terminal.readers.delete(spare.id)


def test_every_answer_has_only_the_sdks_fields_with_its_types(recorded):
    _sb, _client, exchanges = recorded
    assert len(exchanges) > 25
    problems = []
    for exchange in exchanges:
        for problem in check_response(json.loads(exchange.body)):
            problems.append(f"{exchange.method} {exchange.path} ({exchange.status}): {problem}")
    assert not problems, "\n".join(problems[:40])


def _declaration_report(exchanges) -> Report:
    report = Report()
    for exchange in exchanges:
        body = json.loads(exchange.body)
        where = f"{exchange.method} {exchange.path} ({exchange.status})"
        if "error" in body:
            for name in ("payment_intent", "payment_method"):  # objects an error embeds
                check_declared(body["error"].get(name), f"{where} error.{name}", report)
        else:
            check_declared(body, where, report)
    return report


def test_every_answer_holds_to_stripes_declarations_of_absent_and_null(recorded, record_property):
    # stripe-node's declarations for the pinned version (stripe_definitions.json `fields`): a null
    # only where nullable, an optional field left out when unset, every required field there.
    _sb, _client, exchanges = recorded
    report = _declaration_report(exchanges)
    # Printed at the end of the run (tests/conftest.py's terminal summary; also under xdist).
    record_property(
        "report", f"conformance to stripe-node {definitions._DATA['fields']['stripe_node']} declarations: {report}"
    )
    assert not report.problems, "\n".join(report.problems[:60])
    assert report.fields > 1000 and report.absent > 100


def test_the_declaration_check_catches_each_kind_of_mistake(recorded):
    # The checker must be able to fail: a null Stripe omits, a missing required field, an undeclared one.
    _sb, _client, exchanges = recorded
    reader = next(
        json.loads(e.body)
        for e in exchanges
        if json.loads(e.body).get("object") == "terminal.reader" and json.loads(e.body).get("action")
    )
    report = Report()
    check_declared(reader, "reader", report)
    assert report.problems == []
    reader["action"]["set_reader_display"] = None
    del reader["device_type"]
    reader["colour"] = "red"
    check_declared(reader, "reader", report)
    problems = "\n".join(report.problems)
    assert "reader.action.set_reader_display: null" in problems and "leaves it out" in problems
    assert "reader.device_type: missing" in problems
    assert "reader.colour: not declared" in problems


def test_the_flows_covered_every_object_kind_and_errors(recorded):
    _sb, _client, exchanges = recorded
    bodies = [json.loads(e.body) for e in exchanges]
    kinds = {b.get("object") for b in bodies} | {"error" for b in bodies if "error" in b}
    assert kinds >= {*RESOURCES, "list", "search_result", "error"}
    assert all(e.version == _ApiVersion.CURRENT for e in exchanges)


def _objects(exchanges):
    for exchange in exchanges:
        body = json.loads(exchange.body)
        stack = [body]
        while stack:
            value = stack.pop()
            if isinstance(value, dict):
                if value.get("object") in RESOURCES:
                    yield value
                stack.extend(value.values())
            elif isinstance(value, list):
                stack.extend(value)


def test_every_field_of_the_current_version_is_present(recorded):
    _sb, _client, exchanges = recorded
    seen = set()
    for obj in _objects(exchanges):
        if obj.get("deleted") is True:
            continue  # Stripe's stub for a deleted object
        missing = required_fields(obj["object"]) - set(obj)
        assert not missing, f"{obj['object']} {obj['id']} lacks {sorted(missing)}"
        seen.add(obj["object"])
    assert seen == set(RESOURCES)


# -- Stripe's own example objects ------------------------------------------------------------
def _fixtures():
    return json.loads((HERE / "fixtures3.subset.json").read_text())["resources"]


def test_vendored_fixtures_match_shared_copy():
    if not SHARED_FIXTURES.exists():
        pytest.skip("no ../shared/reference in this checkout; the vendored subset is used alone")
    shared = json.loads(SHARED_FIXTURES.read_text())["resources"]
    for kind, obj in _fixtures().items():
        assert shared[kind] == obj, kind


def test_objects_carry_the_fixture_fields_the_sdk_still_declares(recorded):
    _sb, _client, exchanges = recorded
    fixtures = _fixtures()
    for obj in _objects(exchanges):
        if obj.get("deleted") is True:
            continue  # Stripe's stub for a deleted object
        example = fixtures[obj["object"]]
        cls = RESOURCES[obj["object"]]
        # Fields the version requires; an optional one is left out when unset (stripe-node's `name?:`).
        still = {k for k in example if k in cls.__annotations__} & required_fields(obj["object"])
        still -= type_conditional(cls) - {obj.get("type")}  # a card_present method has no `card` hash
        assert still <= set(obj), f"{obj['object']} lacks {sorted(still - set(obj))} (fixtures3.json has them)"
        for name in still:
            mine, theirs = obj[name], example[name]
            if mine is not None and theirs is not None:
                assert type(mine) is type(theirs) or {type(mine), type(theirs)} <= {int, float}, (
                    f"{obj['object']}.{name}: {type(mine).__name__} but Stripe's example has {type(theirs).__name__}"
                )


# -- parameters: declared but not implemented are refused by name ----------------------------
def _call_path(method, path, ids):
    concrete = path.replace("/v1/payment_intents/([^/]+)", f"/v1/payment_intents/{ids['pi']}")
    concrete = concrete.replace("/v1/payment_methods/([^/]+)", "/v1/payment_methods/pm_card_visa")
    concrete = concrete.replace("/v1/charges/([^/]+)", f"/v1/charges/{ids['ch']}")
    concrete = concrete.replace("/v1/refunds/([^/]+)", f"/v1/refunds/{ids['re']}")
    concrete = concrete.replace("/v1/terminal/locations/([^/]+)", f"/v1/terminal/locations/{ids['tml']}")
    concrete = concrete.replace("/readers/([^/]+)", f"/readers/{ids['tmr']}")
    return concrete


def test_declared_but_unimplemented_parameters_are_refused_by_name(recorded):
    sb, client, _exchanges = recorded
    pi = client.v1.payment_intents.create(
        {"amount": 2000, "currency": "sgd", **CARD_ONLY, "payment_method": "pm_card_visa", "confirm": True}
    )
    refund = client.v1.refunds.create({"payment_intent": pi.id, "amount": 100})
    location = client.v1.terminal.locations.create({"display_name": "Back", "address": {"country": "SG"}})
    reader = client.v1.terminal.readers.create({"registration_code": "simulated-wpe", "location": location.id})
    ids = {"pi": pi.id, "ch": pi.latest_charge, "re": refund.id, "tml": location.id, "tmr": reader.id}
    headers = {"Authorization": "Bearer sk_test_conformance"}
    checked = 0
    for method, path, handler, _pk, params_type, _returns in ROUTES:
        unimplemented = definitions.DECLARED[params_type] - definitions.IMPLEMENTED[handler] - {"expand"}
        url = sb.url + _call_path(method, path, ids)
        for name in sorted(unimplemented):
            if name == "payment_method_types":
                continue  # a version gate, tested in test_versions.py
            form = {name: "x"}
            r = (
                requests.get(url, params=form, headers=headers)
                if method == "GET"
                else requests.request(method, url, data=form, headers=headers)
            )
            error = r.json().get("error", {})
            assert r.status_code == 400 and error.get("param") == name, (handler, name, r.text)
            assert "this sandbox does not implement" in error["message"], (handler, name)
            checked += 1
    assert checked > 50


def test_an_undeclared_parameter_is_unknown_as_on_stripe(client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.create({"amount": 1000, "currency": "usd", **CARD_ONLY, "colour": "red"})
    assert caught.value.code == "parameter_unknown" and caught.value.param == "colour"


def test_the_schema_check_catches_each_kind_of_mistake(recorded):
    # The checker itself must be able to fail: spoil one recorded PaymentIntent in five ways.
    _sb, _client, exchanges = recorded
    body = next(
        json.loads(e.body)
        for e in exchanges
        if json.loads(e.body).get("object") == "payment_intent"
        and isinstance(json.loads(e.body).get("latest_charge"), dict)
    )
    assert check_response(body) == []
    body["amount"] = "2000"
    body["bogus"] = 1
    body["status"] = "paid"
    del body["currency"]
    body["latest_charge"]["outcome"]["risk_level"] = 7
    problems = "\n".join(check_response(body))
    for expected in (
        "payment_intent.amount",
        "payment_intent.bogus",
        "payment_intent.status",
        "payment_intent.currency: missing",
        "latest_charge.outcome.risk_level",
    ):
        assert expected in problems, expected

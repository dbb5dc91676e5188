"""`Stripe-Version`: the header, else the account default; the version gates, each from Stripe's changelog."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys

import pytest
import requests
import stripe

from pos.sandbox import API_VERSION, running_sandbox
from tests.helpers.cards import CARD_ONLY


def post(sandbox, key, path, form, version=None):
    headers = {"Authorization": f"Bearer {key}"}
    if version:
        headers["Stripe-Version"] = version
    return requests.post(sandbox.url + path, data=form, headers=headers)


def test_the_answer_names_the_version_that_answered(sandbox, api_key, client):
    default = post(
        sandbox,
        api_key,
        "/v1/payment_intents",
        {"amount": 1000, "currency": "usd", "allowed_payment_method_types[]": "card"},
    )
    assert default.headers["Stripe-Version"] == API_VERSION
    r = post(sandbox, api_key, "/v1/payment_intents", {"amount": 1000, "currency": "usd"}, "2022-08-01")
    assert r.status_code == 200 and r.headers["Stripe-Version"] == "2022-08-01"
    # The SDK sends its own version on every request.
    raw = client.raw_request("get", "/v1/payment_intents", limit=1)
    assert raw.headers["Stripe-Version"] == stripe._api_version._ApiVersion.CURRENT


@pytest.mark.parametrize(
    "version",
    [
        "bogus",
        "2020-8-27",
        "2020-08-27.basil",  # before basil's first version
        "2026-09-29.endive",  # the day before endive's first
        "2026-11-18.fig",  # no such release
        "2026-13-01.endive",  # no such date
        "2026-11-18.Endive",
        "2026-11-18.endive.x",
        "2025-03-31",  # a bare date after bare dates ended
    ],
)
def test_unknown_or_malformed_versions_answer_400(sandbox, api_key, version):
    # Stripe: 400 "Invalid Stripe API version: …" for a version it does not serve.
    r = post(sandbox, api_key, "/v1/payment_intents", {"amount": 1000, "currency": "usd"}, version)
    assert r.status_code == 400
    assert r.json()["error"] == {"type": "invalid_request_error", "message": f"Invalid Stripe API version: {version}"}
    assert "Stripe-Version" not in r.headers


def _tomorrow(sb) -> str:
    return (sb.clock.today() + dt.timedelta(days=1)).isoformat()


@pytest.mark.parametrize("version", ["2026-11-18.endive", "2026-10-05.endive"])
def test_a_newer_monthly_version_of_a_known_release_is_served(sandbox, api_key, version):
    # What the current stripe npm package (23.2) sends: 2026-11-18.endive. Monthly releases within
    # a major carry no breaking changes (Stripe's versioning doc), so it answers as the newest
    # endive known here and names the version it was asked for.
    r = post(sandbox, api_key, "/v1/payment_intents", {"amount": 1000, "currency": "usd"}, version)
    assert r.status_code == 200, r.text
    assert r.headers["Stripe-Version"] == version
    assert "allowed_payment_method_types" in r.json()  # dahlia's addition, kept
    refused = post(
        sandbox,
        api_key,
        "/v1/payment_intents",
        {"amount": 1000, "currency": "usd", "payment_method_types[0]": "card"},
        version,
    )
    assert refused.json()["error"]["code"] == "payment_method_types_no_longer_supported"  # endive's behaviour


def test_a_later_date_of_an_older_release_behaves_as_that_release(sandbox, api_key):
    # 2026-09-15.dahlia (after endive began) is dahlia, not endive: payment_method_types is still writable.
    r = post(
        sandbox,
        api_key,
        "/v1/payment_intents",
        {"amount": 1000, "currency": "usd", "payment_method_types[0]": "card"},
        "2026-09-15.dahlia",
    )
    assert r.status_code == 200 and r.headers["Stripe-Version"] == "2026-09-15.dahlia"
    assert r.json()["payment_method_types"] == ["card"]


def test_a_version_dated_after_the_sandboxs_today_is_refused_until_that_day(api_key):
    with running_sandbox() as sb:
        version = f"{_tomorrow(sb)}.endive"
        r = post(sb, api_key, "/v1/payment_intents", {"amount": 1000, "currency": "usd"}, version)
        assert r.status_code == 400 and r.json()["error"]["message"] == f"Invalid Stripe API version: {version}"
        sb.clock.advance(24 * 3600)
        r = post(sb, api_key, "/v1/payment_intents", {"amount": 1000, "currency": "usd"}, version)
        assert r.status_code == 200 and r.headers["Stripe-Version"] == version


def test_payment_method_types_refused_from_endive(client):
    # https://docs.stripe.com/changelog/endive/2026-09-30/removes-the-payment-method-types-parameter-from-payment-intents-and-setup-intents
    for call in (
        lambda: client.v1.payment_intents.create({"amount": 1000, "currency": "usd", "payment_method_types": ["card"]}),
    ):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            call()
        assert caught.value.http_status == 400
        assert caught.value.code == "payment_method_types_no_longer_supported"
        assert caught.value.param == "payment_method_types"
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd", **CARD_ONLY})
    for call in (client.v1.payment_intents.update, client.v1.payment_intents.confirm):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            call(pi.id, {"payment_method_types": ["card"]})
        assert caught.value.code == "payment_method_types_no_longer_supported"


def test_payment_method_types_accepted_before_endive(sandbox, api_key):
    r = post(
        sandbox,
        api_key,
        "/v1/payment_intents",
        {"amount": 1000, "currency": "usd", "payment_method_types[0]": "card"},
        "2026-08-26.dahlia",
    )
    assert r.status_code == 200 and r.json()["payment_method_types"] == ["card"]


def test_allowed_payment_method_types_from_dahlia(sandbox, api_key):
    # https://docs.stripe.com/changelog/dahlia/2026-07-29/allowed-payment-method-types-parameter
    form = {"amount": 1000, "currency": "usd", "allowed_payment_method_types[0]": "card"}
    before = post(sandbox, api_key, "/v1/payment_intents", form, "2026-06-24.dahlia")
    assert before.status_code == 400 and before.json()["error"]["code"] == "parameter_unknown"
    after = post(sandbox, api_key, "/v1/payment_intents", form, "2026-07-29.dahlia").json()
    assert after["allowed_payment_method_types"] == ["card"] and after["payment_method_types"] == ["card"]
    assert after["automatic_payment_methods"] is None
    # Stripe filters out what does not fit, silently, and reflects the rest in payment_method_types.
    mixed = post(
        sandbox,
        api_key,
        "/v1/payment_intents",
        {**form, "allowed_payment_method_types[1]": "ideal"},
        "2026-07-29.dahlia",
    ).json()
    assert mixed["payment_method_types"] == ["card"]


@pytest.mark.parametrize(
    "other",
    [
        {"automatic_payment_methods[enabled]": "true"},
        {"excluded_payment_method_types[0]": "ideal"},
        {"payment_method_configuration": "pmc_123"},
    ],
)
def test_allowed_types_exclude_the_other_ways(sandbox, api_key, other):
    form = {"amount": 1000, "currency": "usd", "allowed_payment_method_types[0]": "card", **other}
    r = post(sandbox, api_key, "/v1/payment_intents", form)
    assert r.status_code == 400
    message = r.json()["error"]["message"]
    assert "You may only specify one of these parameters" in message or "does not implement" in message


def test_automatic_payment_methods_need_a_return_url_from_2023_08_16(sandbox, api_key):
    # https://docs.stripe.com/changelog/2023-08-16/automatic-payment-methods
    created = post(sandbox, api_key, "/v1/payment_intents", {"amount": 1000, "currency": "usd"}, "2023-08-16").json()
    assert created["automatic_payment_methods"] == {"allow_redirects": "always", "enabled": True}
    confirm = f"/v1/payment_intents/{created['id']}/confirm"
    refused = post(sandbox, api_key, confirm, {"payment_method": "pm_card_visa"}, "2023-08-16")
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "return_url"
    done = post(
        sandbox,
        api_key,
        confirm,
        {"payment_method": "pm_card_visa", "return_url": "https://example.com/back"},
        "2023-08-16",
    )
    assert done.json()["status"] == "succeeded"
    # Redirects off: no return_url needed.
    never = post(
        sandbox,
        api_key,
        "/v1/payment_intents",
        {
            "amount": 1000,
            "currency": "usd",
            "automatic_payment_methods[enabled]": "true",
            "automatic_payment_methods[allow_redirects]": "never",
            "payment_method": "pm_card_visa",
            "confirm": "true",
        },
    )
    assert never.json()["status"] == "succeeded"
    # Before that version an intent without types took cards, and confirm needed no return_url.
    old = post(sandbox, api_key, "/v1/payment_intents", {"amount": 1000, "currency": "usd"}, "2022-11-15").json()
    assert old["automatic_payment_methods"] is None
    assert (
        post(
            sandbox,
            api_key,
            f"/v1/payment_intents/{old['id']}/confirm",
            {"payment_method": "pm_card_visa"},
            "2022-11-15",
        ).json()["status"]
        == "succeeded"
    )


def test_charges_list_only_before_2022_11_15(sandbox, api_key):
    form = {"amount": 1000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": "true"}
    old = post(sandbox, api_key, "/v1/payment_intents", form, "2022-08-01").json()
    assert [c["id"] for c in old["charges"]["data"]] == [old["latest_charge"]]
    assert old["charges"]["total_count"] == 1
    new = post(sandbox, api_key, "/v1/payment_intents", form, "2022-11-15").json()
    assert "charges" not in new and new["latest_charge"].startswith("ch_")


def test_capture_method_default(sandbox, api_key):
    # https://docs.stripe.com/changelog/2024-04-10/automatic-sync-default-paymentintents
    form = {"amount": 1000, "currency": "usd"}
    assert post(sandbox, api_key, "/v1/payment_intents", form, "2023-10-16").json()["capture_method"] == "automatic"
    newer = post(sandbox, api_key, "/v1/payment_intents", form, "2024-04-10").json()
    assert newer["capture_method"] == "automatic_async"


def test_invoice_only_before_basil(sandbox, api_key):
    form = {"amount": 1000, "currency": "usd"}
    assert post(sandbox, api_key, "/v1/payment_intents", form, "2024-06-20").json()["invoice"] is None
    assert "invoice" not in post(sandbox, api_key, "/v1/payment_intents", form, "2025-03-31.basil").json()


def start(*args):
    proc = subprocess.Popen(
        [sys.executable, "-m", "pos.sandbox", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    return proc, proc.stdout.readline().strip()


def test_account_default_version_from_the_command_line(api_key):
    proc, line = start("--api-version", "2020-08-27")
    try:
        url = line.split()[-1]
        headers = {"Authorization": f"Bearer {api_key}"}
        r = requests.post(url + "/v1/payment_intents", data={"amount": 544, "currency": "sgd"}, headers=headers)
        assert r.headers["Stripe-Version"] == "2020-08-27"
        assert "charges" in r.json() and r.json()["capture_method"] == "automatic"
        # A header still wins over the account default.
        r = requests.post(
            url + "/v1/payment_intents",
            data={"amount": 544, "currency": "sgd"},
            headers={**headers, "Stripe-Version": API_VERSION},
        )
        assert r.headers["Stripe-Version"] == API_VERSION and "charges" not in r.json()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0


@pytest.mark.parametrize("version", ["2099-01-01.zinnia", "2099-01-01.endive", "2026-09-29.endive"])
def test_an_unknown_default_version_is_refused_at_start(version):
    proc = subprocess.run(
        [sys.executable, "-m", "pos.sandbox", "--api-version", version],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2 and "Invalid Stripe API version" in proc.stderr


def test_a_newer_monthly_version_as_the_account_default(api_key):
    # The same rule as the header: a later endive date is served as endive, named as given.
    proc, line = start("--api-version", "2026-11-18.endive")
    try:
        url = line.split()[-1]
        r = requests.post(
            url + "/v1/payment_intents",
            data={"amount": 544, "currency": "sgd"},
            headers={"Authorization": f"Bearer {api_key}"},
        )
        assert r.status_code == 200 and r.headers["Stripe-Version"] == "2026-11-18.endive"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0


def test_embedded_sandbox_default_version_is_the_sdks(api_key):
    with running_sandbox(api_version="2022-08-01") as sb:
        r = requests.get(sb.url + "/v1/payment_intents", headers={"Authorization": f"Bearer {api_key}"})
        assert r.headers["Stripe-Version"] == "2022-08-01"


def test_an_error_embeds_the_intent_in_the_requests_version(sandbox, api_key):
    # payment_intent_unexpected_state carries the PaymentIntent as the request's version shapes it:
    # at 2020-08-27 with its `charges` list and `invoice`, at the current version without them.
    form = {"amount": 1000, "currency": "usd", "payment_method_types[0]": "card"}
    made = post(sandbox, api_key, "/v1/payment_intents", {**form, "payment_method": "pm_card_visa"}, "2020-08-27")
    confirm = f"/v1/payment_intents/{made.json()['id']}/confirm"
    paid = post(sandbox, api_key, confirm, {}, "2020-08-27")
    assert paid.json()["status"] == "succeeded"
    old = post(sandbox, api_key, confirm, {}, "2020-08-27").json()["error"]
    assert old["code"] == "payment_intent_unexpected_state"
    assert old["payment_intent"]["charges"]["total_count"] == 1 and "invoice" in old["payment_intent"]
    new = post(sandbox, api_key, confirm, {}, API_VERSION).json()["error"]
    assert "charges" not in new["payment_intent"] and "invoice" not in new["payment_intent"]

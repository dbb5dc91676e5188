"""Which keys the till takes, how it shows them, and what its logs never contain."""

from __future__ import annotations

import logging

import pytest

from pos.adapters.logs import RedactingFilter, redact
from pos.domain.api_keys import classify, mask
from pos.services.keys import KeyManager, KeyRefused, KeyStoreUnavailable


@pytest.mark.parametrize("key", ["sk_test_51Habc123XYZ", "rk_test_51Habc123XYZ"])
def test_test_keys_accepted(key):
    assert classify(key).accepted


@pytest.mark.parametrize(
    "key,words",
    [
        ("pk_test_51Habc123XYZ", "publishable"),
        ("pk_live_51Habc123XYZ", "publishable"),
        ("sk_live_51Habc123XYZ", "live key"),
        ("rk_live_51Habc123XYZ", "live key"),
        ("sk_test_", "does not look like"),
        ("hello", "does not look like"),
        ("sk_test_abc def", "does not look like"),
        ("", "No key"),
    ],
)
def test_refusals(key, words):
    verdict = classify(key)
    assert not verdict.accepted and words in verdict.reason
    assert len(key) < 10 or key not in verdict.reason


def test_mask_shows_kind_and_last_four_only():
    assert mask("sk_test_51HabcdefghijWXYZ") == "sk_test_…WXYZ"
    assert "abcdefgh" not in mask("sk_test_51HabcdefghijWXYZ")


def test_redaction():
    text = (
        "key sk_test_51HabcdefXYZ and rk_live_999abc, pk_test_zz12, secret pi_3Abc_secret_XyZ123, "
        "card 4242 4242 4242 4242 and 4000056655665556, order 1234567890123 (not Luhn), id 20261126"
    )
    out = redact(text)
    for secret in ("51HabcdefXYZ", "999abc", "zz12", "_secret_XyZ123", "4242 4242 4242 4242", "4000056655665556"):
        assert secret not in out
    assert "1234567890123" in out and "20261126" in out


def test_log_records_are_redacted(caplog):
    logger = logging.getLogger("pos.test")
    handler_filter = RedactingFilter()
    with caplog.at_level(logging.INFO):
        caplog.handler.addFilter(handler_filter)
        try:
            logger.info("using %s", "sk_test_51Hsecretvalue1")
            try:
                raise ValueError("boom pi_1_secret_abc")
            except ValueError:
                logger.exception("failed with %s", "4242424242424242")
        finally:
            caplog.handler.removeFilter(handler_filter)
    text = caplog.text
    assert "secretvalue1" not in text and "_secret_abc" not in text and "4242424242424242" not in text
    assert "sk_test_[redacted]" in text


class MemoryStore:
    """A stand-in keyring for the precedence logic only; the real Secret Service is in test_keyring.py."""

    def __init__(self, broken=False):
        self.value, self.broken = None, broken

    def get(self):
        if self.broken:
            raise KeyStoreUnavailable("no keyring")
        return self.value

    def set(self, key):
        if self.broken:
            raise KeyStoreUnavailable("no keyring")
        self.value = key

    def delete(self):
        self.value = None


def test_precedence_env_then_keyring_then_demo():
    store = MemoryStore()
    keys = KeyManager(store, lambda k: None, environ={})
    assert keys.current().demo
    keys.save("sk_test_51Hkeyringkey1")
    assert keys.current().source == "keyring"
    env_keys = KeyManager(store, lambda k: None, environ={"POS_STRIPE_API_KEY": "sk_test_51Henvkey00001"})
    assert env_keys.current().source == "env"


def test_session_only_when_no_keyring():
    keys = KeyManager(MemoryStore(broken=True), lambda k: None, environ={})
    state = keys.save("sk_test_51Hsessionkey1")
    assert state.source == "session" and "no keyring" in state.warning
    assert keys.current().key == "sk_test_51Hsessionkey1"


def test_refused_key_is_not_stored():
    store = MemoryStore()

    def reject(_key):
        raise KeyRefused("Stripe refused this key")

    keys = KeyManager(store, reject, environ={})
    with pytest.raises(KeyRefused):
        keys.save("sk_test_51Hrejectedkey")
    assert store.value is None


class MemoryMarker:
    def __init__(self):
        self.configured = False

    def was_configured(self):
        return self.configured

    def set_configured(self, configured):
        self.configured = configured


def test_a_broken_keyring_is_demo_only_for_a_till_never_given_a_key():
    marker = MemoryMarker()
    working = MemoryStore()
    KeyManager(working, lambda k: None, environ={}, marker=marker).save("sk_test_51Hmarkerkey01")
    assert marker.configured
    broken = KeyManager(MemoryStore(broken=True), lambda k: None, environ={}, marker=marker).current()
    assert broken.unavailable and not broken.demo and broken.key is None and "no keyring" in broken.warning
    fresh = KeyManager(MemoryStore(broken=True), lambda k: None, environ={}, marker=MemoryMarker()).current()
    assert fresh.demo and not fresh.unavailable
    KeyManager(working, lambda k: None, environ={}, marker=marker).remove()
    assert not marker.configured

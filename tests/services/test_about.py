"""The status bar's words on card payments and About's facts (issue 28 item 7): plain services code."""

from __future__ import annotations

import pytest

from pos.services.about import AboutTill, card_mode
from pos.services.keys import KeyState


@pytest.mark.parametrize(
    ("state", "read_only", "words"),
    [
        (None, False, "Card: demo (no real money)"),
        (KeyState(None, "demo"), False, "Card: demo (no real money)"),
        (KeyState("sk_test_abcdefgh1234", "keyring"), False, "Card: test mode"),
        (KeyState("rk_test_abcdefgh1234", "session"), False, "Card: test mode"),
        (KeyState("sk_live_abcdefgh1234", "env"), False, "Card: live"),
        (KeyState(None, "unavailable", "The keyring is locked."), False, "Card: offline"),
        (KeyState("sk_test_abcdefgh1234", "keyring"), True, "Card: off (read-only window)"),
    ],
)
def test_card_mode_in_plain_words(state, read_only, words):
    assert card_mode(state, read_only) == words
    assert "http" not in words and "sk_" not in words


def test_about_rows_name_every_fact_and_the_keyring_note_only_when_there_is_one():
    about = AboutTill("0.1.0", "3.11.7", "16.1.0", "2026-10-28.endive", "http://127.0.0.1:1", "/data", "T1", "demo")
    rows = dict(about.rows("6.8.0"))
    assert rows["Stripe API version"] == "2026-10-28.endive" and rows["Qt"] == "6.8.0"
    assert rows["Stripe address"] == "http://127.0.0.1:1" and rows["Data folder"] == "/data"
    assert "Keyring" not in rows
    noted = AboutTill("0.1.0", "3.11.7", "16.1.0", "v", "u", "/d", "T1", "demo", keyring_note="Install one.")
    assert dict(noted.rows("6.8.0"))["Keyring"] == "Install one."


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("https://till:s3cret-pass@proxy.example:8443/stripe", "https://proxy.example:8443/stripe"),
        ("https://sk_test_abcdefgh1234@api.example/", "https://api.example/"),
        ("http://127.0.0.1:12111?key=sk_test_abcdefgh1234", "http://127.0.0.1:12111"),
        ("https://api.stripe.com", "https://api.stripe.com"),
    ],
)
def test_about_never_shows_a_password_or_key_written_into_the_stripe_address(given, shown):
    """Hostile pass (h2): --stripe-base-url through a proxy that asks for a login, or with a key in its
    query, put the password or key on About's screen (which a cashier can open and photograph)."""
    about = AboutTill("0.1.0", "3.11.7", "16.1.0", "v", given, "/d", "T1", "demo")
    text = " ".join(value for _name, value in about.rows("6.8.0"))
    assert dict(about.rows("6.8.0"))["Stripe address"] == shown
    assert "s3cret" not in text and "sk_test" not in text

"""The key in a real Secret Service (gnome-keyring under dbus-run-session, as scripts/run-tests sets up).

Skips where no Secret Service answers, except in CI, where that is a failure.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from itertools import chain
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
import stripe
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from pos.adapters.logs import configure_logging
from pos.app import create_main_window
from tests.helpers.leaks import files_under, scan
from tests.ui.conftest import wait_idle
from tests.ui.test_till import charge, open_payment

ROOT = Path(__file__).resolve().parents[2]


def secret_service_available() -> str | None:
    """None if a Secret Service works here, else why not."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return "no D-Bus session (run the tests with scripts/run-tests)"
    backend = type(keyring.get_keyring())
    if "SecretService" not in backend.__module__:
        return f"keyring backend is {backend.__module__}.{backend.__name__}, not the Secret Service"
    try:
        keyring.set_password("pos:probe", "probe", "x")
        keyring.delete_password("pos:probe", "probe")
    except Exception as exc:  # any failure means there is no usable Secret Service
        return f"the Secret Service does not answer: {type(exc).__name__}"
    return None


@pytest.fixture(scope="module")
def secret_service():
    why = secret_service_available()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the keyring tests against a real Secret Service: {why}")
        pytest.skip(why)


@pytest.fixture
def profile(monkeypatch, secret_service):
    name = f"test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("POS_PROFILE", name)
    monkeypatch.delenv("POS_STRIPE_API_KEY", raising=False)
    yield name
    try:
        keyring.delete_password(f"pos:{name}", "stripe-api-key")
    except keyring.errors.PasswordDeleteError:
        pass


def secret_tool(profile):
    done = subprocess.run(
        ["secret-tool", "lookup", "service", f"pos:{profile}", "username", "stripe-api-key"],
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() or None


@pytest.fixture
def demo_window(qtbot, tmp_path, sandbox, profile):
    win = create_main_window(tmp_path / "till", stripe_base_url=sandbox.url)
    # Not qtbot.addWidget (as tests/ui/conftest.py): pytest-qt may delete the window while this
    # fixture's teardown still waits for background work; this fixture closes it itself.
    win.show()
    wait_idle(qtbot)
    yield win
    wait_idle(qtbot)
    win.close()
    win.deleteLater()


def open_settings(qtbot, win):
    win.open_settings()
    dialog = win.settings_dialog
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.objectName() == "settingsDialog"
    return dialog


def type_key(qtbot, dialog, key):
    field = dialog.key_field
    assert field.echoMode() == field.EchoMode.Password
    field.setText(key)
    qtbot.mouseClick(dialog.findChild(QPushButton, "saveKeyButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=15000)


def test_save_and_remove_through_the_dialog(qtbot, demo_window, profile, api_key):
    win = demo_window
    assert win.context.demo and win.mode_label.text() == "DEMO"
    dialog = open_settings(qtbot, win)
    type_key(qtbot, dialog, api_key)
    assert secret_tool(profile) == api_key
    assert f"sk_test_…{api_key[-4:]}" in dialog.key_status.text()
    assert api_key not in dialog.key_status.text() + dialog.key_message.text()
    assert dialog.key_field.text() == ""
    assert not win.context.demo and win.mode_label.text() == "TEST MODE"
    assert not win.demo_banner.isVisible()
    qtbot.mouseClick(dialog.findChild(QPushButton, "removeKeyButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=15000)
    assert secret_tool(profile) is None
    assert win.context.demo and win.mode_label.text() == "DEMO"


@pytest.mark.parametrize(
    "bad,words",
    [
        ("pk_test_51Habcdefghijkl", "publishable"),
        ("sk_live_51Habcdefghijkl", "live key"),
        ("rk_live_51Habcdefghijkl", "live key"),
        ("not-a-key", "does not look like"),
    ],
)
def test_refused_keys_are_not_stored(qtbot, demo_window, profile, bad, words):
    dialog = open_settings(qtbot, demo_window)
    type_key(qtbot, dialog, bad)
    assert words in dialog.key_message.text()
    assert secret_tool(profile) is None and demo_window.context.demo


def test_key_stripe_rejects_is_not_stored(qtbot, demo_window, profile, sandbox):
    sandbox.faults.arm("/v1/payment_intents", method="GET", status=401)
    dialog = open_settings(qtbot, demo_window)
    type_key(qtbot, dialog, "sk_test_51Hwellformedbutrevoked")
    assert "refused this key" in dialog.key_message.text()
    assert secret_tool(profile) is None


def test_unreachable_stripe_stores_nothing(qtbot, tmp_path, profile):
    win = create_main_window(tmp_path / "till", stripe_base_url="http://127.0.0.1:9")  # nothing listens
    qtbot.addWidget(win)
    win.show()
    try:
        dialog = open_settings(qtbot, win)
        type_key(qtbot, dialog, "sk_test_51Hcannotbechecked")
        assert "Could not reach Stripe" in dialog.key_message.text()
        assert secret_tool(profile) is None
    finally:
        wait_idle(qtbot)
        win.close()


def test_no_keyring_backend(qtbot, tmp_path, sandbox, monkeypatch, api_key):
    # The real 'fail' backend keyring uses when nothing else is there (keyring.errors.NoKeyringError).
    monkeypatch.delenv("POS_STRIPE_API_KEY", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        win = create_main_window(tmp_path / "till", stripe_base_url=sandbox.url)
        qtbot.addWidget(win)
        win.show()
        dialog = open_settings(qtbot, win)
        assert "No keyring is available" in dialog.key_message.text()
        type_key(qtbot, dialog, api_key)
        assert "for this session only" in dialog.key_message.text()
        assert "install" not in dialog.key_message.text().lower()  # which keyring to install: under Details
        dialog.show_page("Payments")
        qtbot.mouseClick(dialog.key_details_button, Qt.LeftButton)
        assert dialog.key_details.isVisible() and "install" in dialog.key_details.text().lower()
        assert not win.context.demo and win.context.key_state.source == "session"
        assert not any(api_key in p.read_text(errors="ignore") for p in (tmp_path / "till").rglob("*") if p.is_file())
        wait_idle(qtbot)
        win.close()
    finally:
        keyring.set_keyring(previous)


def pos_cli(*args, stdin=None, env=None):
    return subprocess.run(
        [sys.executable, "-m", "pos", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT), **(env or {})),
        timeout=60,
        cwd=ROOT,
    )


def test_cli_config(profile, sandbox, api_key, tmp_path):
    base = ["--data-dir", str(tmp_path / "d"), "--stripe-base-url", sandbox.url]
    refused = pos_cli(*base, "config", "set-key", stdin="sk_live_51Habcdefghijkl\n")
    assert refused.returncode == 1 and "live key" in refused.stderr
    assert secret_tool(profile) is None
    stored = pos_cli(*base, "config", "set-key", stdin=api_key + "\n")
    assert stored.returncode == 0, stored.stderr
    assert secret_tool(profile) == api_key
    assert api_key not in stored.stdout + stored.stderr
    shown = pos_cli(*base, "config", "show")
    assert f"sk_test_…{api_key[-4:]}" in shown.stdout and "keyring" in shown.stdout
    assert api_key not in shown.stdout
    removed = pos_cli(*base, "config", "remove-key")
    assert removed.returncode == 0 and "demo mode" in removed.stdout
    assert secret_tool(profile) is None
    no_keyring = pos_cli(
        *base,
        "config",
        "set-key",
        stdin=api_key + "\n",
        env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
    )
    assert no_keyring.returncode == 1 and "No keyring is available" in no_keyring.stderr


def test_file_modes(tmp_path, sandbox, api_key):
    from pos.adapters.db.storage import open_engine

    data = tmp_path / "fresh"
    open_engine(data).dispose()
    log_path = configure_logging(data)
    try:
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        assert stat.S_IMODE((data / "pos.sqlite3").stat().st_mode) == 0o600
        assert stat.S_IMODE(log_path.stat().st_mode) == 0o600
    finally:
        _drop_handlers(log_path)


def _drop_handlers(log_path):
    import logging

    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "baseFilename", None) == str(log_path) or (
            type(handler) is logging.StreamHandler
            and any(type(f).__name__ == "RedactingFilter" for f in handler.filters)
        ):
            root.removeHandler(handler)
            handler.close()


def test_no_secret_leaks(qtbot, tmp_path, sandbox, profile, api_key):
    started = time.time()
    data = tmp_path / "till"
    log_path = configure_logging(data)
    try:
        win = create_main_window(data, stripe_base_url=sandbox.url)
        qtbot.addWidget(win)
        win.show()
        wait_idle(qtbot)
        dialog = open_settings(qtbot, win)
        for bad in ("pk_test_51Hpublishable1", "sk_live_51Hlivekey00001", "rk_live_51Hlivekey00001", "junk"):
            type_key(qtbot, dialog, bad)
        type_key(qtbot, dialog, api_key)
        dialog.reject()
        qtbot.mouseClick(win.products.buttons()[0], Qt.LeftButton)
        payment = open_payment(qtbot, win)
        charge(qtbot, payment, "pm_card_chargeDeclined")
        charge(qtbot, payment, "pm_card_visa")
        pi_id = payment.result_value.receipt.payment_intent
        wait_idle(qtbot)
        win.close()
    finally:
        _drop_handlers(log_path)
    client_secret = (
        stripe.StripeClient(api_key, base_addresses={"api": sandbox.url})
        .v1.payment_intents.retrieve(pi_id)
        .client_secret
    )
    needles = [
        api_key.encode(),
        client_secret.encode(),
        b"sk_live_51Hlivekey00001",
        b"rk_live_51Hlivekey00001",
        b"pk_test_51Hpublishable1",
    ]
    found = scan(
        chain(files_under(data), files_under(Path(tempfile.gettempdir()))), needles, modified_since=started - 1
    )
    assert not found.leaks, f"secrets found: {[str(path) for path, _needle in found.leaks]}"
    assert found.scanned > 0 and "main window ready" in log_path.read_text()

    # The till's own process after it loaded the key from the keyring: neither its argv nor its
    # environment holds it (a till that exported the key for a child process, or re-ran itself with
    # it in the arguments, would fail here).
    again = create_main_window(data, stripe_base_url=sandbox.url)
    qtbot.addWidget(again)
    try:
        assert again.context.key_state.source == "keyring" and again.context.key_state.key == api_key
        assert api_key not in " ".join(sys.argv)
        assert all(api_key not in value for value in os.environ.values())
    finally:
        wait_idle(qtbot)
        again.close()


def test_key_change_waits_for_unfinished_payments(qtbot, demo_window, profile, api_key, sandbox):
    win = demo_window
    sale = win.till.checkout.start_sale(_cart_with_one(win))
    dialog = open_settings(qtbot, win)
    type_key(qtbot, dialog, api_key)
    assert "unfinished" in dialog.key_message.text() and secret_tool(profile) is None
    assert win.context.demo
    win.till.checkout.abandon(sale.id)
    type_key(qtbot, dialog, api_key)
    assert secret_tool(profile) == api_key


def _cart_with_one(win):
    win.till.cart.add(win.context.catalog.all()[0])
    return win.till.cart

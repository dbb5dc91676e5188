"""Shared fixtures: a real sandbox on a loopback port and the real `stripe` client pointed at it."""

from __future__ import annotations

import os
import secrets

import pytest
import stripe

from pos.adapters.db.storage import close_engine, open_engine
from pos.sandbox import running_sandbox

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def sandbox():
    with running_sandbox() as sb:
        yield sb


@pytest.fixture(scope="session")
def migrated_folder(tmp_path_factory):
    """A new till's data folder, made once per worker the way every till makes one: open_engine
    on nothing runs the whole Alembic migration (and writes the audit head). Tests that only need
    a new till copy it (new_till_folder) rather than migrate again; the migration from nothing and
    from every older layout stays tested where it is the point (tests/backoffice/test_layouts.py,
    tests/services/test_storage_health.py)."""
    path = tmp_path_factory.mktemp("template") / "till"
    close_engine(open_engine(path))  # closed cleanly, as a till that was shut down
    return path


@pytest.fixture
def api_key():
    # A fresh key is a fresh Stripe account in the sandbox: tests never see each other's objects.
    return "sk_test_" + secrets.token_hex(12)


@pytest.fixture
def client(sandbox, api_key):
    sandbox.faults.clear()
    yield stripe.StripeClient(api_key, base_addresses={"api": sandbox.url})
    sandbox.faults.clear()


def pytest_terminal_summary(terminalreporter):
    """Print what a test measured with record_property("report", …) (the sandbox's conformance
    report): the controller gets it with the test's result, also from xdist workers."""
    for report in terminalreporter.stats.get("passed", []):
        for name, value in getattr(report, "user_properties", []):
            if name == "report" and report.when == "call":
                terminalreporter.write_line(f"{report.nodeid}: {value}")


@pytest.fixture(autouse=True)
def _root_logging_as_it_was():
    """What a test adds to the root logger goes with it. A window started in-process (run_gui's
    configure_logging) or a command run there adds handlers bound to that test's captured stderr,
    which pytest closes after it; a later warning in the same worker (psycopg's "error ignored
    terminating pipeline" when a shop link dies) then printed "--- Logging error ---" and a
    traceback into another test's output (CI: test_a_shop_outage_mid_round_is_the_shops_not_the_
    tills_database saw it in `pos sync`'s stderr)."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)

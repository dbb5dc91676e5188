"""Real Qt widgets (offscreen) wired to the real sandbox and a real SQLite file."""

from __future__ import annotations

import pytest

from pos.adapters.db.catalog import CatalogRepo
from pos.adapters.db.storage import close_engine, open_engine
from pos.app import create_main_window
from pos.paths import resource_path
from pos.ui import workers
from tests.helpers.folders import new_till_folder


def wait_idle(qtbot, timeout=15000):
    qtbot.wait(20)  # let zero-delay timers (the start-up recovery) start their work first
    qtbot.waitUntil(lambda: workers.busy_count() == 0, timeout=timeout)


@pytest.fixture(scope="session")
def demo_folder(migrated_folder, tmp_path_factory):
    """A new till with the demo catalog imported, made once per worker (tests/conftest.py)."""
    path = new_till_folder(migrated_folder, tmp_path_factory.mktemp("template") / "demo")
    engine = open_engine(path)
    CatalogRepo(engine).import_csv(resource_path("demo_catalog.csv"), "SGD")
    close_engine(engine)
    return path


@pytest.fixture
def data_dir(tmp_path, demo_folder):
    return new_till_folder(demo_folder, tmp_path / "till")


@pytest.fixture
def window(qtbot, data_dir, sandbox, api_key):
    sandbox.faults.clear()
    win = create_main_window(data_dir, stripe_base_url=sandbox.url, api_key=api_key)
    # Not qtbot.addWidget: pytest-qt would close and delete the window before this fixture's
    # teardown, while background work may still be finishing; this fixture closes it itself.
    win.show()
    qtbot.waitExposed(win)
    wait_idle(qtbot)
    yield win
    wait_idle(qtbot)
    sandbox.faults.clear()
    win.close()
    win.deleteLater()


@pytest.fixture
def themed(qapp):
    """The application in the till's theme, as the launcher installs it (pos/launch.py); Qt's own
    look again after."""
    from pos.ui import theme

    follower = theme.install(qapp)
    yield follower
    theme.uninstall(qapp)


def wait_receipt_keys(qtbot, dialog, timeout=20000):
    """A paid sale's receipt has the keys: shown, activated on the turn of the event loop after it was
    made non-modal (MainWindow._sale_paid), and the active window. A key pressed before then goes to
    the main window (its Esc clears the search), as a cashier's would in that instant."""
    from PySide6.QtWidgets import QApplication

    qtbot.waitUntil(
        lambda: (
            dialog.pages.currentIndex() == 1 and dialog.receipt_takes_keys and QApplication.activeWindow() is dialog
        ),
        timeout=timeout,
    )

"""The first receipt of the day does not wait for python-escpos (issue 27, tenth session): the window
imports it on a worker once it is idle after start, when a printer is set up. Counted, not timed:
an import spy on `sys.meta_path` sees every module imported anew, on which thread."""

from __future__ import annotations

import sys
import threading
from contextlib import contextmanager
from dataclasses import replace

import pytest

from pos.app import build_context
from pos.ui.main_window import MainWindow
from tests.helpers.escpos_double import PrinterDouble
from .conftest import wait_idle
from .test_till import charge, open_payment, ring_up_three

PRINTING_LIBRARIES = ("escpos", "PIL", "qrcode", "yaml", "usb", "serial", "barcode")


class ImportSpy:
    """Notes each module imported anew (a finder asked for it: a module already in sys.modules is not
    looked for) and whether the UI thread imported it; finds nothing itself."""

    def __init__(self):
        self.seen: list[tuple[str, bool]] = []

    def find_spec(self, name, path=None, target=None):
        self.seen.append((name, threading.current_thread() is threading.main_thread()))
        return None

    def printing(self) -> list[tuple[str, bool]]:
        return [(name, ui) for name, ui in self.seen if name.split(".")[0] in PRINTING_LIBRARIES]


@pytest.fixture
def spy():
    found = ImportSpy()
    sys.meta_path.insert(0, found)
    yield found
    sys.meta_path.remove(found)


@pytest.fixture
def printer():
    double = PrinterDouble()
    yield double
    double.close()


@contextmanager
def shown(qtbot, context):
    """The till's window shown and exposed; closed after."""
    window = MainWindow(context)
    try:
        window.show()
        qtbot.waitExposed(window)
        yield window
    finally:
        window.close()
        window.deleteLater()


def warmed_on_a_worker(qtbot, spy) -> None:
    """python-escpos came in on a worker thread, never on the UI thread (the window idle after)."""
    qtbot.waitUntil(lambda: "escpos.printer" in sys.modules, timeout=15000)
    wait_idle(qtbot)
    warmed = spy.printing()
    assert ("escpos.printer", False) in warmed, warmed
    assert not [name for name, ui in warmed if ui], "imported on the UI thread"


def forget_escpos() -> None:
    """As in a new process: python-escpos not loaded yet (an earlier test may have). Pillow and the
    rest stay: forgotten, a module of another test that holds them would see two copies."""
    for name in [n for n in sys.modules if n.split(".")[0] == "escpos"]:
        del sys.modules[name]


def test_the_first_print_of_the_day_does_not_import_escpos_anew(qtbot, data_dir, sandbox, api_key, printer, spy):
    context = build_context(data_dir, stripe_base_url=sandbox.url, api_key=api_key)
    settings = context.store_settings
    settings.save(replace(settings.current, printer_kind="network", printer_address=printer.address))
    forget_escpos()
    with shown(qtbot, context) as window:
        warmed_on_a_worker(qtbot, spy)  # after the start's jobs
        spy.seen.clear()
        ring_up_three(qtbot, window)
        dialog = open_payment(qtbot, window)
        charge(qtbot, dialog, "pm_card_visa")
        printer.wait_for_jobs(1)
        number = dialog.result_value.receipt.number_text
        qtbot.waitUntil(lambda: f"Receipt {number} printed." in window.status_message.text())
        assert spy.printing() == []  # the first print imported nothing of python-escpos's anew
        dialog.new_sale_button.click()
        wait_idle(qtbot)


def test_a_till_without_a_printer_never_loads_escpos(qtbot, data_dir, sandbox, api_key, spy):
    forget_escpos()
    context = build_context(data_dir, stripe_base_url=sandbox.url, api_key=api_key)
    with shown(qtbot, context):
        wait_idle(qtbot)
        assert spy.printing() == []


def test_a_printer_set_up_during_the_day_is_warmed_when_the_settings_are_saved(
    qtbot, data_dir, sandbox, api_key, printer, spy
):
    """h6 left it: the warm-up ran only at start, so a printer set up in Settings later still had its
    first receipt wait for python-escpos. Saving the settings (the dialog's Save ends in the window's
    apply_settings) now warms it on a worker too."""
    forget_escpos()
    context = build_context(data_dir, stripe_base_url=sandbox.url, api_key=api_key)
    with shown(qtbot, context) as window:
        wait_idle(qtbot)
        assert spy.printing() == []  # no printer at start: nothing loaded
        settings = context.store_settings
        settings.save(replace(settings.current, printer_kind="network", printer_address=printer.address))
        window.apply_settings()  # what SettingsDialog's Save calls
        warmed_on_a_worker(qtbot, spy)

"""The ESC/POS printer for real over TCP: python-escpos talks to a loopback printer double that
records the bytes and decodes the text lines, the cut and the drawer pulse."""

from __future__ import annotations

import socket
from datetime import datetime, timezone

import pytest

from pos.adapters.escpos_printer import EscposPrinter
from pos.domain.money import Money
from pos.domain.cart import LineTotals
from pos.domain.receipt import Receipt
from pos.domain.printer_setup import PrinterKind, PrinterSetup, PrinterSetupError
from pos.services.receipt_printing import NotPrinted, PrinterError, Printed, Printing
from tests.helpers.escpos_double import PrinterDouble, UnknownCommand, decode


@pytest.fixture
def printer():
    double = PrinterDouble()
    yield double
    double.close()


class Drawer:
    def __init__(self) -> None:
        self.openings: list[tuple[str, str, bool, str]] = []

    def record_opening(self, till_id: str, reason: str, opened: bool, message: str) -> None:
        self.openings.append((till_id, reason, opened, message))


def printing_on(setup: PrinterSetup, drawer: Drawer | None = None) -> Printing:
    return Printing(EscposPrinter, lambda: setup, drawer or Drawer(), lambda: "T1", lambda: "en_SG")


def network(double: PrinterDouble) -> PrinterSetup:
    return PrinterSetup.parse("network", double.address)


def a_receipt() -> Receipt:
    lines = (
        LineTotals("LAT", "Latte", 2, Money(580, "SGD"), 900, Money(1064, "SGD"), Money(96, "SGD"), Money(1160, "SGD")),
    )
    return Receipt(
        receipt_no=7,
        till_id="T1",
        created_at=datetime(2026, 11, 28, 9, 30, tzinfo=timezone.utc),
        store_name="Kopi & Co. Café",
        store_address="12 Jalan Besar",
        lines=lines,
        subtotal=Money(1064, "SGD"),
        tax=Money(96, "SGD"),
        total=Money(1160, "SGD"),
        tax_inclusive=True,
        payment_intent="pi_123",
        card_brand="visa",
        card_last4="4242",
        footer="Thank you!",
    )


def test_a_receipt_prints_as_text_lines_then_a_cut(printer):
    result = printing_on(network(printer)).print_receipt(a_receipt())
    assert result == Printed("Receipt 0007 printed.")
    [job] = printer.wait_for_jobs(1)
    assert job.initialised and job.cuts == 1 and job.pulses == []
    assert job.lines[0].strip() == "Kopi & Co. Café"
    assert any(line.startswith("Receipt 0007") and line.endswith("Till T1") for line in job.lines)
    assert any(line.startswith("Latte") and line.endswith("$11.60") for line in job.lines)
    assert any("TOTAL" in line and "$11.60" in line for line in job.lines)
    assert all(len(line) <= 42 for line in job.lines)  # 80 mm paper, Font A


def test_opening_the_drawer_pulses_pin_2_and_is_recorded(printer):
    drawer = Drawer()
    result = printing_on(network(printer), drawer).open_drawer("no sale: change for the float")
    assert result == Printed("Drawer opened.")
    [job] = printer.wait_for_jobs(1)
    assert job.pulses == [2] and job.lines == [] and job.cuts == 0
    assert drawer.openings == [("T1", "no sale: change for the float", True, "Drawer opened.")]


def test_a_printer_that_does_not_answer_leaves_the_sale_alone_and_says_so():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    setup = PrinterSetup.parse("network", f"127.0.0.1:{port}")
    drawer = Drawer()
    printing = printing_on(setup, drawer)
    result = printing.print_receipt(a_receipt())
    assert isinstance(result, NotPrinted)
    assert f"127.0.0.1:{port} did not answer" in result.message and "Reprint it" in result.message
    opened = printing.open_drawer("no sale")
    assert isinstance(opened, NotPrinted) and "drawer did not open" in opened.message
    assert drawer.openings[0][2] is False  # recorded as not opened
    with pytest.raises(PrinterError):
        EscposPrinter(setup).open_drawer()


def test_test_print_uses_the_setup_being_edited(printer):
    result = printing_on(PrinterSetup()).test_print(network(printer))
    assert result == Printed(f"Test page sent to the printer at {printer.address}.")
    [job] = printer.wait_for_jobs(1)
    assert "Test print" in job.lines[0] and job.cuts == 1


@pytest.mark.parametrize(
    ("kind", "address", "expected"),
    [
        ("network", "192.168.1.50", PrinterSetup(PrinterKind.NETWORK, host="192.168.1.50", port=9100)),
        ("network", "printer.local:9101", PrinterSetup(PrinterKind.NETWORK, host="printer.local", port=9101)),
        ("usb", "04b8:0202", PrinterSetup(PrinterKind.USB, usb_vendor=0x04B8, usb_product=0x0202)),
        ("serial", "/dev/ttyUSB0@19200", PrinterSetup(PrinterKind.SERIAL, device="/dev/ttyUSB0", baud=19200)),
        ("", "", PrinterSetup()),
    ],
)
def test_printer_addresses_read_and_write_back(kind, address, expected):
    setup = PrinterSetup.parse(kind, address)
    assert setup == expected
    assert PrinterSetup.parse(kind, setup.address) == setup


@pytest.mark.parametrize(
    ("kind", "address", "words"),
    [
        ("network", "", "Give the printer's address"),
        ("network", "not an address!", "is not a network address"),
        ("network", "host:70000", "is not a network address"),
        ("usb", "epson", "is not a USB id"),
        ("fax", "x", "is not a kind of printer"),
    ],
)
def test_a_wrong_printer_address_is_refused_in_the_owners_words(kind, address, words):
    with pytest.raises(PrinterSetupError) as caught:
        PrinterSetup.parse(kind, address)
    assert words in str(caught.value)


def test_the_decoder_refuses_what_it_does_not_know():
    assert decode(b"\x1b@abc\n\x1dV\x00").lines == ["abc"]
    with pytest.raises(UnknownCommand):
        decode(b"\x1b!\x00text")  # ESC ! (print mode) is not something the till sends

"""Issue 23, finding 3: a product name drove the printer. `Tea\\x1bp\\x00\\x19\\xfa\\x1dV\\x00` went out
raw: ESC p kicked the drawer on a card receipt (no opening recorded, no approval) and GS V cut the
paper, on every reprint. Every door that takes text refuses control characters
(`pos/domain/text.py`), and what is printed or rendered is cleaned again, for text an older
database already holds. The printer is the loopback ESC/POS double (a real TCP server)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.adapters.db.catalog import CatalogRepo
from pos.adapters.db.storage import open_engine
from pos.adapters.db.settings import SettingsRepo
from pos.adapters.escpos_printer import EscposPrinter
from pos.domain.catalog import CSV_COLUMNS
from pos.domain.money import Money
from pos.domain.receipt import render_text
from pos.domain.refunds import RefundReceipt, render_refund_text
from pos.domain.staff import StaffError, check_name
from pos.domain.text import TextError, check_text, first_control, printable
from pos.services.catalog import Catalog, NotSaved
from pos.services.settings import Settings, SettingsError
from tests.cli.test_cli import pos
from tests.helpers.escpos_double import PrinterDouble

from .test_escpos import Drawer, a_receipt, network, printing_on

HOSTILE = "Tea\x1bp\x00\x19\xfa\x1dV\x00"  # the finding's name: ESC p 0 (drawer pin 2), GS V 0 (cut)
ESC_P, GS_V = b"\x1bp", b"\x1dV"


@pytest.fixture
def printer():
    double = PrinterDouble()
    yield double
    double.close()


def hostile_receipt():
    receipt = a_receipt()
    line = replace(receipt.lines[0], name=HOSTILE)
    return replace(
        receipt,
        lines=(line,),
        store_name="Kopi\x1bp\x01\x19\xfa",
        till_id="T1\x1dV\x00",
        footer="Thank you!\x1bp\x00\x19\xfa\nSee you\x1dV\x41\x00",
    )


# What the builder sends itself (python-escpos): initialise, code page, feed, cut.
BUILDER_COMMANDS = re.compile(rb"\x1b@|\x1bt.|\x1bd.|\x1dV[\x00\x01\x30\x31]|\x1dV[AB].", re.DOTALL)


def only_text_between_commands(raw: bytes) -> bool:
    """Without the builder's own commands, no byte left is a control byte but the line feed."""
    return all(b == 0x0A or 0x20 <= b != 0x7F for b in BUILDER_COMMANDS.sub(b"", raw))


def no_control(text: str) -> bool:
    return not any(unicodedata.category(c) == "Cc" and c != "\n" for c in text)


# -- the printer: no data byte becomes a command ---------------------------------------------------


def test_a_card_receipt_with_printer_commands_in_its_text_prints_them_as_nothing(printer):
    """A record already in the database (no door was passed): one cut, no drawer pulse."""
    result = printing_on(network(printer)).print_receipt(hostile_receipt())
    assert result.message == "Receipt 0007 printed."
    [job] = printer.wait_for_jobs(1)
    [raw] = printer.jobs
    assert job.pulses == [] and job.cuts == 1  # before: a pulse on pin 2 and three cuts
    assert raw.count(ESC_P) == 0 and raw.count(GS_V) == 1  # only the builder's own cut
    assert only_text_between_commands(raw)
    assert any(line.startswith("TeapúV") and line.endswith("$11.60") for line in job.lines)
    assert job.lines[0].strip() == "Kopipú"


def test_the_adapter_cleans_text_it_is_given_even_past_the_renderer(printer):
    """Defence in depth: whatever text reaches the adapter, only its own commands go out; the
    drawer is kicked only when asked for (the service records it then)."""
    EscposPrinter(network(printer)).print_text(f"{HOSTILE}\n\x1b@\x1bd\x05\x9b1m\x7f")
    EscposPrinter(network(printer)).print_text("Cash sale\n", open_drawer=True)
    first, second = printer.wait_for_jobs(2)
    assert first.pulses == [] and first.cuts == 1 and first.lines == ["TeapúV", "@d1m"]
    assert first.fed == second.fed  # only the cut's own feed, not ESC d 5 from the text
    assert second.pulses == [2] and second.cuts == 1
    assert printer.jobs[0].count(ESC_P) == 0 and printer.jobs[0].count(GS_V) == 1
    assert only_text_between_commands(printer.jobs[0])


def test_a_reprint_of_the_hostile_receipt_opens_no_drawer_and_the_drawer_opens_only_when_recorded(printer):
    drawer = Drawer()
    printing = printing_on(network(printer), drawer)
    printing.print_receipt(hostile_receipt(), copy=True)
    printing.open_drawer("no sale: change")
    reprint, kick = printer.wait_for_jobs(2)
    assert reprint.pulses == [] and reprint.cuts == 1
    assert kick.pulses == [2] and len(drawer.openings) == 1  # the one pulse is the recorded one


# -- the screen and the PDF: the same text, without control characters -------------------------------


def test_receipt_refund_and_report_text_hold_no_control_characters():
    text = render_text(hostile_receipt(), width=42)
    assert no_control(text) and "TeapúV" in text and "See youVA" in text
    assert all(len(line) <= 42 for line in text.splitlines())  # laid out after cleaning, not before
    refund = RefundReceipt(
        refund_no=1,
        receipt_no=7,
        till_id="T1\x1b",
        created_at=a_receipt().created_at,
        store_name="Kopi\x1bp\x00",
        amount=Money(580, "SGD"),
        lines=((HOSTILE, 1),),
        stripe_refund="re_1",
        card_brand="visa",
        card_last4="4242",
    )
    assert no_control(render_refund_text(refund))


def test_the_pdf_renderer_lays_out_clean_text(qapp, tmp_path, monkeypatch):
    """The print dialog's and the PDF's renderer (ui/printing.render): the text its document lays out
    is watched (Qt's own setPlainText still runs); a PDF's text cannot be read back here (no QtPdf)."""
    from PySide6.QtGui import QTextDocument

    from pos.ui import printing

    painted: list[str] = []
    original = QTextDocument.setPlainText
    monkeypatch.setattr(QTextDocument, "setPlainText", lambda doc, text: (painted.append(text), original(doc, text)))
    printing.export_pdf(tmp_path / "r.pdf", f"{HOSTILE}\nTOTAL\x1dV\x00 11.60\n", "80mm")
    assert painted == ["TeapúV\nTOTALV 11.60\n"]
    assert (tmp_path / "r.pdf").stat().st_size > 0


# -- the rule itself ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,named",
    [(HOSTILE, "ESC"), ("a\tb", "a tab"), ("a\nb", "a line break"), ("a\x7f", "DEL"), ("a\x9bb", "U+009B")],
)
def test_check_text_names_the_first_control_character(text, named):
    with pytest.raises(TextError, match=re.escape(f"The name holds a control character ({named})")):
        check_text(text, "The name")


def test_multiline_text_keeps_its_line_breaks_only():
    assert check_text("12 Jalan Besar\r\nSingapore", "The address", multiline=True) == "12 Jalan Besar\nSingapore"
    with pytest.raises(TextError):
        check_text("12 Jalan Besar\n\x1bp", "The address", multiline=True)
    assert printable("a\tb\nc\x1b", multiline=True) == "a b\nc"
    assert printable("a\tb\nc\x1b") == "a b c" and printable("a\r\nb") == "a  b"


@given(st.text())
def test_printable_leaves_nothing_a_printer_runs_and_passes_its_own_check(text):
    # The rule's character class is Unicode's category Cc, no more and no less.
    assert (first_control(text) is None) == (not any(unicodedata.category(c) == "Cc" for c in text))
    for multiline in (False, True):
        clean = printable(text, multiline=multiline)
        assert all(unicodedata.category(c) != "Cc" or (multiline and c == "\n") for c in clean)
        assert check_text(clean, "it", multiline=multiline) == clean


# -- the doors: catalog edits, settings, cashiers -------------------------------------------------


@pytest.fixture
def engine(tmp_path):
    engine = open_engine(tmp_path / "data")
    yield engine
    engine.dispose()


def test_a_catalog_edit_with_a_control_character_is_refused_in_the_cashiers_words(engine):
    catalog = Catalog(CatalogRepo(engine), lambda: "SGD")
    row = dict(zip(CSV_COLUMNS, ("TEA", "", HOSTILE, "Tea", "3.50", "9"), strict=True))
    result = catalog.save_form(row, active=True)
    assert result == NotSaved(
        "Not saved: name holds a control character (ESC) that a receipt printer would take as a command."
    )
    assert catalog.count() == 0
    for column in ("sku", "category"):
        assert isinstance(catalog.save_form({**row, "name": "Tea", column: "X\x1dV"}, active=True), NotSaved)
    assert catalog.count() == 0


@pytest.mark.parametrize("name", ["store_name", "receipt_footer", "till_id", "address", "locale", "reader_id"])
def test_a_text_setting_with_a_control_character_is_refused(engine, name):
    settings = Settings(SettingsRepo(engine))
    before = settings.current
    with pytest.raises(SettingsError, match=r"holds a control character \(ESC\)"):
        settings.save(replace(before, **{name: "Kopi\x1bp\x00\x19"}))
    assert settings.current == before


def test_address_and_footer_may_have_lines(engine):
    settings = Settings(SettingsRepo(engine))
    saved = settings.save(replace(settings.current, receipt_footer="Thank you!\nSee you", address="12 Jalan\r\nSG"))
    assert saved.receipt_footer == "Thank you!\nSee you" and saved.address == "12 Jalan\nSG"


def test_a_cashier_name_with_a_control_character_is_refused():
    with pytest.raises(StaffError, match=r"A cashier's name holds a control character \(ESC\)"):
        check_name("Eve\x1bp\x00")
    assert check_name(" Eve\tAnn ") == "Eve Ann"  # a tab typed by mistake is a space, as before


# -- the command line: `pos settings set`, `pos cashiers add` ----------------------------------------


@pytest.mark.parametrize("name", ["store_name", "receipt_footer", "till_id"])
def test_pos_settings_set_refuses_a_control_character_in_one_line(tmp_path, name):
    data = str(tmp_path / "data")
    done = pos("--data-dir", data, "settings", "set", name, "Kopi\x1bp\x01\x19")
    assert done.returncode == 1, done.stdout
    assert done.stderr.strip().splitlines() == [
        f"error: The {name.replace('_', ' ')} holds a control character (ESC) that a receipt printer would take "
        "as a command. Nothing was changed."
    ]
    assert "\x1b" not in pos("--data-dir", data, "settings", "show").stdout


def test_pos_cashiers_add_refuses_a_control_character_in_the_name(tmp_path):
    data = str(tmp_path / "data")
    done = pos("--data-dir", data, "cashiers", "add", "Eve\x1bp\x01\x19", stdin="4321\n4321\n")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "A cashier's name holds a control character (ESC)" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Eve" not in pos("--data-dir", data, "cashiers", "list").stdout


@pytest.mark.parametrize("name", ["Ann\u200b", "\u202eAnn", "An\u2060n", "\ufeffAnn", "Ann\u2028", "ann"])
def test_a_cashier_cannot_be_added_under_a_name_that_reads_as_anothers(tmp_path, name):
    """Hostile-tester finding: `Ann\\u200b` (a zero-width space) or `ann` was taken beside Ann: in the
    audit trail, the reports and the approval list a second cashier read as Ann."""
    data = str(tmp_path / "data")
    assert pos("--data-dir", data, "cashiers", "add", "Ann", "--role", "manager", stdin="2468\n2468\n").returncode == 0
    done = pos("--data-dir", data, "--as", "Ann", "cashiers", "add", name, stdin="2468\n4321\n4321\n")
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "invisible character" in done.stderr or "already a cashier called Ann" in done.stderr
    assert pos("--data-dir", data, "cashiers", "list").stdout.count("\n") == 1
    assert check_name("Mahsa\u200cNur") == "Mahsa\u200cNur"  # the zero-width non-joiner is part of the script


@pytest.mark.parametrize("till_id", ["T1\u200b", "\u202eT1", "T\u2060" + "1"])
def test_a_till_id_that_reads_as_another_is_refused(tmp_path, till_id):
    """Hostile-tester finding: `T1\\u200b` was taken as a till id: at the shop a second till whose
    receipts, refunds and figures every report shows as T1's."""
    data = str(tmp_path / "data")
    done = pos("--data-dir", data, "settings", "set", "till_id", till_id)
    assert done.returncode == 1 and "The till id holds an invisible character" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "till_id = T1\n" in pos("--data-dir", data, "settings", "show").stdout

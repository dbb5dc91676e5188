"""Scanning that forgives (issue 28 item 4): what the cashier sees and hears at the search field when a
scan finds nothing, Esc, and a name that matches several products. The rule of what Enter finds is
tested without Qt in tests/services/test_catalog_lookup.py."""

from __future__ import annotations

from PySide6.QtCore import Qt


FLAT_WHITE = "8881230000044"
ESPRESSO = "8881230000013"


def scan(qtbot, window, code):
    """As a scanner does: the code's keys, then Enter, into whatever has focus (the search field)."""
    qtbot.keyClicks(window.focusWidget(), code)
    qtbot.keyClick(window.focusWidget(), Qt.Key_Return)


def names(window):
    return [line.product.name for line in window.till.cart.lines]


def test_a_failed_scan_then_a_good_one_adds_the_good_product(qtbot, window):
    """The issue: the unknown code stayed in the field, the next scan was appended to it
    ("8881230009998881230000013") and failed too."""
    scan(qtbot, window, "8881230009998")
    assert names(window) == []
    scan(qtbot, window, ESPRESSO)
    assert names(window) == ["Espresso"]
    assert window.products.search.text() == ""


def test_a_failed_scan_shows_at_the_field_with_a_sound_and_stays_selected(qtbot, window):
    box = window.products.search_box
    sounds = []
    box.beep = lambda: sounds.append(1)  # offscreen nothing sounds: the hook is what the test can see
    scan(qtbot, window, "8881230009998")
    assert names(window) == [] and sounds == [1]
    message = window.findChild(type(box.message), "searchMessage")
    assert message.isVisible() and "8881230009998" in message.text()  # at the field, not only the status bar
    assert "8881230009998" in window.status_message.text()
    assert box.field.selectedText() == "8881230009998"  # the next scan replaces it
    qtbot.keyClicks(box.field, "4")  # the first key of the next scan: the message goes with the old code
    assert box.field.text() == "4" and not message.isVisible()


def test_esc_clears_the_search_and_its_message(qtbot, window):
    box = window.products.search_box
    box.beep = lambda: None
    scan(qtbot, window, "0000000000000")
    assert box.message.isVisible()
    qtbot.keyClick(box.field, Qt.Key_Escape)
    assert box.field.text() == "" and not box.message.isVisible() and box.field.hasFocus()
    qtbot.keyClicks(box.field, "croiss")
    window.cart_panel.table.setFocus()  # Esc from elsewhere on the sale screen clears it too
    qtbot.keyClick(window.cart_panel.table, Qt.Key_Escape)
    assert box.field.text() == "" and box.field.hasFocus()


def test_enter_on_a_name_with_one_match_adds_it(qtbot, window):
    scan(qtbot, window, "almond croiss")
    assert names(window) == ["Almond Croissant"]


def test_enter_on_a_name_with_several_matches_offers_them_by_keyboard_and_tap(qtbot, window):
    """The issue: "latte" and Enter said 'No product with barcode or SKU "latte"' with four lattes on
    screen. Now the four are offered; Down and Enter pick one, a tap picks another."""
    box = window.products.search_box
    scan(qtbot, window, "latte")
    choices = window.findChild(type(box.choices), "searchChoices")
    assert choices.isVisible() and choices.count() == 4 and choices.hasFocus()
    assert names(window) == []
    qtbot.keyClick(choices, Qt.Key_Down)
    picked = choices.currentItem().text().split("   ")[0]
    qtbot.keyClick(choices, Qt.Key_Return)
    assert names(window) == [picked] and not choices.isVisible() and box.field.hasFocus()
    scan(qtbot, window, "latte")
    rect = choices.visualItemRect(choices.item(3))
    assert rect.height() >= 44  # a touch target
    tapped = choices.item(3).text().split("   ")[0]
    qtbot.mouseClick(choices.viewport(), Qt.LeftButton, pos=rect.center())
    assert names(window) == [picked, tapped]
    qtbot.keyClicks(box.field, "latte")
    qtbot.keyClick(box.field, Qt.Key_Return)
    qtbot.keyClick(choices, Qt.Key_Escape)  # Esc closes the choices without adding anything
    assert not choices.isVisible() and names(window) == [picked, tapped]


def test_a_scan_while_the_matches_are_offered_is_a_new_search(qtbot, window):
    """The choices have the focus after a name matched several; the next scan must not be typed
    into the list (a list's keyboard search) and lost."""
    scan(qtbot, window, "latte")
    assert window.focusWidget().objectName() == "searchChoices"
    for char in ESPRESSO:  # a scanner's keys, each to whatever has the focus as it arrives
        qtbot.keyClick(window.focusWidget(), char)
    qtbot.keyClick(window.focusWidget(), Qt.Key_Return)
    assert names(window) == ["Espresso"]
    assert not window.products.search_box.choices.isVisible()


def test_a_scan_that_only_begins_a_barcode_is_offered_not_rung_up_and_the_next_scan_replaces_it(qtbot, window):
    """Hostile pass (h2): a scan with its last digit dropped (or another product's 12-digit UPC-A)
    began one barcode only, and that product was added without a word."""
    scan(qtbot, window, ESPRESSO[:-1])
    assert names(window) == []
    box = window.products.search_box
    assert box.choices.isVisible() and box.choices.count() == 1
    assert box.message.text().startswith("1 product matches: pick it")
    for char in FLAT_WHITE:  # the scanner again, each key to whatever has the focus: a new search
        qtbot.keyClick(window.focusWidget(), char)
    qtbot.keyClick(window.focusWidget(), Qt.Key_Return)
    assert names(window) == ["Flat White"]


def test_up_from_the_first_match_and_backspace_go_back_to_the_typed_name(qtbot, window):
    """Hostile pass (h2): Down from the field goes into the matches, as in any drop-down, but Up from
    the first match stayed in the list, and Backspace (correcting "latte") did nothing there."""
    scan(qtbot, window, "latte")
    box = window.products.search_box
    assert window.focusWidget() is box.choices and box.choices.currentRow() == 0
    qtbot.keyClick(box.choices, Qt.Key_Up)
    assert window.focusWidget() is box.field and box.choices.isVisible()  # the list still offered
    qtbot.keyClick(box.field, Qt.Key_Down)
    assert window.focusWidget() is box.choices
    qtbot.keyClick(box.choices, Qt.Key_Backspace)
    assert window.focusWidget() is box.field and box.field.text() == "latt"

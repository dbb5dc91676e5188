"""The UI audit helper (tests/helpers/ui_audit.py) catches what it is for: each check is shown
failing on a widget built to fail it, and passing on one built right."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from tests.helpers import ui_audit


def _window(qtbot) -> tuple[QWidget, QVBoxLayout]:
    top = QWidget()
    qtbot.addWidget(top)
    layout = QVBoxLayout(top)
    return top, layout


def test_a_label_cut_short_is_clipped_and_one_with_room_is_not(qtbot):
    top, layout = _window(qtbot)
    cut = QLabel("Ham & Cheese Toastie with extra cheese")
    cut.setFixedWidth(60)
    fits = QLabel("Ham")
    wraps = QLabel("Ham & Cheese Toastie with extra cheese")
    wraps.setWordWrap(True)
    wraps.setFixedSize(120, 120)  # room for the wrapped lines
    wraps_short = QLabel("Ham & Cheese Toastie with extra cheese and a side of chips")
    wraps_short.setWordWrap(True)
    wraps_short.setFixedSize(120, 20)  # one line tall: the wrapped lines fall off the bottom
    for w in (cut, fits, wraps, wraps_short):
        layout.addWidget(w)
    ui_audit.show_at(top, (400, 400))
    clipped = {f.widget for f in ui_audit.clipped(top)}
    assert cut in clipped and wraps_short in clipped
    assert fits not in clipped and wraps not in clipped


def test_a_button_whose_text_is_wider_than_it_is_clipped(qtbot):
    top, layout = _window(qtbot)
    narrow = QPushButton("Ham && Cheese Toastie")
    narrow.setFixedSize(70, 50)
    wide = QPushButton("Ham && Cheese Toastie")
    wide.setMinimumSize(300, 50)
    two_lines = QPushButton("Open\ndrawer")
    two_lines.setFixedSize(120, 20)  # two lines do not fit 20 px
    for w in (narrow, wide, two_lines):
        layout.addWidget(w)
    ui_audit.show_at(top, (400, 300))
    found = {f.widget: f for f in ui_audit.clipped(top)}
    assert narrow in found and two_lines in found
    assert wide not in found
    assert "Ham && Cheese" in found[narrow].describe()


def test_a_spin_box_whose_number_does_not_fit_its_field_is_clipped(qtbot):
    top, layout = _window(qtbot)
    squeezed = QSpinBox()
    squeezed.setValue(42)
    # What the theme's hidden arrows and NoButtons together did to the cart's quantity: a 1 px field.
    squeezed.setStyleSheet("QSpinBox { border: 1px solid gray; } QSpinBox::up-button { width: 0px; }")
    squeezed.setButtonSymbols(QSpinBox.ButtonSymbols.NoButtons)
    roomy = QSpinBox()
    roomy.setValue(42)
    for w in (squeezed, roomy):
        layout.addWidget(w)
    ui_audit.show_at(top, (300, 200))
    assert [f.widget for f in ui_audit.clipped(top)] == [squeezed]


def test_a_small_button_is_a_small_target_unless_it_is_in_a_list(qtbot):
    top, layout = _window(qtbot)
    small = QPushButton("x")
    small.setAccessibleName("Close")
    small.setFixedSize(30, 30)
    big = QPushButton("OK")
    big.setFixedSize(80, 48)
    listed = QListWidget()
    listed.setMinimumSize(200, 100)
    in_list = QPushButton("row", listed.viewport())
    in_list.setFixedSize(20, 20)
    tabs = QTabBar()
    tabs.addTab("Coffee")
    for w in (small, big, listed, tabs):
        layout.addWidget(w)
    ui_audit.show_at(top, (400, 400))
    small_ones = ui_audit.small_targets(top)
    widgets = {f.widget for f in small_ones}
    assert small in widgets
    assert tabs in widgets  # a default tab is ~28 px tall
    assert big not in widgets and in_list not in widgets and listed not in widgets


def test_a_control_without_an_accessible_name_is_nameless(qtbot):
    top, layout = _window(qtbot)
    field = QLineEdit()  # no text, no accessible name: a screen reader says "edit"
    named = QLineEdit()
    named.setAccessibleName("Search")
    button = QPushButton("Pay")  # its text is its name
    icon_only = QPushButton()
    icon_only.setObjectName("iconOnly")  # an objectName is not what a screen reader reads
    row = QHBoxLayout()
    for w in (field, named, button, icon_only):
        row.addWidget(w)
    layout.addLayout(row)
    ui_audit.show_at(top, (400, 200))
    widgets = {f.widget for f in ui_audit.nameless(top)}
    assert widgets == {field, icon_only}
    assert ui_audit.accessible_name(button) == "Pay"


def test_a_control_without_a_description_is_undescribed(qtbot):
    top, layout = _window(qtbot)
    bare = QPushButton("Pay")  # a name, but nothing says what it does
    described = QPushButton("Cash")
    described.setAccessibleDescription("Pay in cash")
    tipped = QPushButton("Card")
    tipped.setToolTip("Pay by card")  # Qt reads the tooltip as the description
    tabs = QTabBar()
    tabs.addTab("Coffee")
    tabs.addTab("Tea")
    tabs.setTabToolTip(0, "Shows the Coffee products")  # Tea's tab has none
    for w in (bare, described, tipped, tabs):
        layout.addWidget(w)
    ui_audit.show_at(top, (400, 300))
    found = ui_audit.undescribed(top)
    assert [(f.widget, f.detail) for f in found] == [
        (bare, "no accessible description"),
        (tabs, "tab 'Tea' has no description"),
    ]


def test_the_pseudo_locale_makes_text_longer_and_exposes_a_fixed_width(qtbot):
    assert len(ui_audit.pseudo("Clear cart")) >= len("Clear cart") * 1.4
    assert ui_audit.pseudo(ui_audit.pseudo("Pay")) == ui_audit.pseudo("Pay")
    assert ui_audit.pseudo("Open\ndrawer").count("\n") == 1
    top, layout = _window(qtbot)
    label = QLabel("Subtotal")
    label.setFixedWidth(label.sizeHint().width())  # exactly the English text's width
    layout.addWidget(label)
    ui_audit.show_at(top, (300, 100))
    assert ui_audit.clipped(top) == []
    ui_audit.lengthen(top)
    assert label.text().startswith("⟦")
    assert [f.widget for f in ui_audit.clipped(top)] == [label]


def test_texts_set_while_the_pseudo_locale_is_on_come_out_long(qtbot):
    label = QLabel()
    qtbot.addWidget(label)
    tabs = QTabBar()
    qtbot.addWidget(tabs)
    with ui_audit.pseudo_locale():
        label.setText("Total")
        tabs.addTab("Coffee")
    label_after = QLabel()
    qtbot.addWidget(label_after)
    label_after.setText("Total")
    assert label.text() == ui_audit.pseudo("Total") and tabs.tabText(0) == ui_audit.pseudo("Coffee")
    assert label_after.text() == "Total"  # the hook is gone afterwards


def test_show_at_gives_the_window_each_size(qtbot):
    top, _layout = _window(qtbot)
    for size in ui_audit.SIZES + (ui_audit.COMPACT,):
        ui_audit.show_at(top, size)
        assert (top.width(), top.height()) == size

"""What a cashier would trip over on a screen, measured the way Qt draws it (issue 28):

- ``clipped(top)``: visible buttons, labels and tabs whose shown text does not fit the rectangle Qt
  draws it in (font metrics of the text as shown, with the widget's own wrapping, against the
  style's contents rectangle);
- ``small_targets(top)``: visible controls smaller than 44 x 44 px that are not inside a list or
  table view (a row of a list is its own target);
- ``nameless(top)``: visible controls Qt's accessibility reports no name for (what a screen
  reader would read: ``QAccessible.queryAccessibleInterface(w).text(QAccessible.Name)``);
- ``undescribed(top)``: visible controls with no accessible description (what the control does);
- ``audit(top)``: clipped, small and nameless;
- ``pseudo_locale()``: every string shown made ~40 % longer (and bracketed, so a cut end shows),
  for texts set while it is on and, with ``lengthen(top)``, for texts already shown;
- ``show_at(window, size)`` and ``SIZES``: a window shown at 1024x768, 1280x800 or 1920x1080
  offscreen (the offscreen screen is 800x800; a normal window may be larger than it).

The finding's ``describe()`` names the widget by objectName (or class) and its text, so a failing
assertion says which control and why.
"""

from __future__ import annotations

import math
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import Qt as QtGuiQt
from PySide6.QtGui import QAccessible, QFontMetrics, QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMenuBar,
    QPushButton,
    QRadioButton,
    QScrollBar,
    QStyle,
    QStyleOptionButton,
    QStyleOptionTab,
    QTabBar,
    QWidget,
)

MIN_TARGET = 44  # px, each side: WCAG 2.5.5 / Apple HIG touch target
SIZES: tuple[tuple[int, int], ...] = ((1024, 768), (1280, 800), (1920, 1080))
COMPACT = (800, 600)
PSEUDO_GROWTH = 0.4

# Controls a cashier operates. Scroll bars are the scroll area's, not a target the layout chooses.
CONTROLS = (QAbstractButton, QLineEdit, QAbstractSpinBox, QComboBox, QTabBar, QAbstractSlider, QAbstractItemView)
# Composite controls: their children (a spin box's line edit, a combo's editor, a tab bar's scroll
# arrows, a line edit's clear button) are measured and named as the composite, not again alone.
COMPOSITES = (QLineEdit, QAbstractSpinBox, QComboBox, QTabBar, QAbstractItemView)


@dataclass(frozen=True)
class Finding:
    widget: QWidget
    kind: str  # "clipped", "small", "nameless"
    detail: str

    def describe(self) -> str:
        w = self.widget
        who = w.objectName() or type(w).__name__
        text = _text_of(w)
        return f"{self.kind}: {who}" + (f" {text!r}" if text else "") + f" — {self.detail}"


def _text_of(widget: QWidget) -> str:
    if isinstance(widget, (QAbstractButton, QLabel, QLineEdit)):
        return widget.text()
    if isinstance(widget, QGroupBox):
        return widget.title()
    return ""


def _rich(text: str) -> bool:
    """Qt's own guess whether a label's AutoText is HTML (QtGui's Qt.mightBeRichText)."""
    return bool(QtGuiQt.mightBeRichText(text))


def shown_text(text: str) -> str:
    """A button's or tab's text as drawn: `&x` is the shortcut marker (x underlined), `&&` is `&`."""
    return re.sub(r"&(.)", r"\1", text)


def _shown(widget: QWidget) -> bool:
    return widget.isVisible() and widget.width() > 0 and widget.height() > 0 and _window_visible_rect(widget)


def _window_visible_rect(widget: QWidget) -> bool:
    """False when the widget lies wholly outside its window (scrolled away, or off the window's edge)."""
    window = widget.window()
    top_left = widget.mapTo(window, widget.rect().topLeft())
    return QRect(top_left, widget.size()).intersects(window.rect())


def _widgets(top: QWidget) -> list[QWidget]:
    found = [top] + top.findChildren(QWidget)
    return [w for w in found if _shown(w)]


def _inside(widget: QWidget, kinds: tuple[type, ...]) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, kinds):
            return True
        parent = parent.parentWidget()
    return False


def _is_control(widget: QWidget) -> bool:
    if not isinstance(widget, CONTROLS) or isinstance(widget, QScrollBar):
        return False
    return not _inside(widget, COMPOSITES)


# -- clipping --------------------------------------------------------------------------


def _text_size(fm: QFontMetrics, text: str) -> QSize:
    lines = text.split("\n")
    width = max(fm.horizontalAdvance(line) for line in lines)
    return QSize(width, fm.height() * len(lines) + fm.leading() * (len(lines) - 1))


def _button_clip(button: QAbstractButton) -> str | None:
    text = shown_text(button.text())
    if not text:
        return None
    fm = button.fontMetrics()
    style = button.style()
    opt = QStyleOptionButton()
    opt.initFrom(button)
    if isinstance(button, QCheckBox):
        rect = style.subElementRect(QStyle.SubElement.SE_CheckBoxContents, opt, button)
    elif isinstance(button, QRadioButton):
        rect = style.subElementRect(QStyle.SubElement.SE_RadioButtonContents, opt, button)
    elif isinstance(button, QPushButton):
        # With a style sheet this is the box model's contents rect (border and padding taken off).
        rect = style.subElementRect(QStyle.SubElement.SE_PushButtonContents, opt, button)
    else:
        rect = button.contentsRect()
    icon = button.iconSize().width() + 4 if not button.icon().isNull() else 0
    need = _text_size(fm, text)
    if need.width() + icon > rect.width() or need.height() > rect.height():
        return f"text needs {need.width() + icon}x{need.height()} px, has {rect.width()}x{rect.height()}"
    return None


def _label_clip(label: QLabel) -> str | None:
    text = label.text()
    if not text or label.pixmap() is not None and not label.pixmap().isNull():
        return None
    rect = label.contentsRect()
    margin = label.margin()
    indent = max(label.indent(), 0)
    avail = QSize(rect.width() - 2 * margin - indent, rect.height() - 2 * margin)
    rich = label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and _rich(text)
    )
    if rich:
        doc = QTextDocument()
        doc.setDefaultFont(label.font())
        doc.setDocumentMargin(0)
        doc.setHtml(text)
        if label.wordWrap():
            doc.setTextWidth(avail.width())
        need = QSize(math.ceil(doc.idealWidth()), math.ceil(doc.size().height()))
    else:
        fm = label.fontMetrics()
        if label.wordWrap():
            bound = fm.boundingRect(QRect(0, 0, max(avail.width(), 1), 100_000), int(Qt.TextFlag.TextWordWrap), text)
            need = bound.size()
        else:
            need = _text_size(fm, text)
    if need.width() > avail.width() or need.height() > avail.height():
        return f"text needs {need.width()}x{need.height()} px, has {avail.width()}x{avail.height()}"
    return None


def _spin_clip(spin: QAbstractSpinBox) -> str | None:
    """A spin box's number must fit its edit field (a style can leave the field a pixel wide)."""
    editor = spin.findChild(QLineEdit)
    text = spin.text()
    if editor is None or not text:
        return None
    need = spin.fontMetrics().horizontalAdvance(text)
    if need > editor.width():
        return f"its {text!r} needs {need} px, the field is {editor.width()} px"
    return None


def _tab_clips(bar: QTabBar) -> list[str]:
    out = []
    fm = bar.fontMetrics()
    for i in range(bar.count()):
        rect = bar.tabRect(i)
        if not rect.intersects(bar.rect()):
            continue  # scrolled out of the bar: its arrows bring it back
        opt = QStyleOptionTab()
        bar.initStyleOption(opt, i)
        text_rect = bar.style().subElementRect(QStyle.SubElement.SE_TabBarTabText, opt, bar)
        text = shown_text(bar.tabText(i))
        need = fm.horizontalAdvance(text)
        if need > text_rect.width():
            out.append(f"tab {text!r} needs {need} px, has {text_rect.width()}")
    return out


def clipped(top: QWidget) -> list[Finding]:
    """Visible buttons, labels, tabs and spin boxes whose shown text does not fit where Qt draws it."""
    found: list[Finding] = []
    for w in _widgets(top):
        if _inside(w, (QAbstractItemView,)):
            continue  # a list's cells elide by design, with the whole text one click away
        detail: str | None = None
        if isinstance(w, QAbstractButton) and not _inside(w, (QTabBar, QLineEdit)):
            detail = _button_clip(w)
        elif isinstance(w, QLabel):
            detail = _label_clip(w)
        elif isinstance(w, QAbstractSpinBox):
            detail = _spin_clip(w)
        elif isinstance(w, QTabBar):
            found.extend(Finding(w, "clipped", d) for d in _tab_clips(w))
        if detail:
            found.append(Finding(w, "clipped", detail))
    return found


# -- target size -----------------------------------------------------------------------


def small_targets(top: QWidget, minimum: int = MIN_TARGET) -> list[Finding]:
    """Visible controls (and each tab and menu-bar item) under minimum x minimum px, outside list views."""
    found: list[Finding] = []
    for w in _widgets(top):
        if isinstance(w, QMenuBar):
            for action in w.actions():
                rect = w.actionGeometry(action)
                if action.isVisible() and (rect.width() < minimum or rect.height() < minimum):
                    found.append(
                        Finding(w, "small", f"menu {shown_text(action.text())!r} is {rect.width()}x{rect.height()}")
                    )
            continue
        if not _is_control(w) or _inside(w, (QAbstractItemView,)):
            continue
        if isinstance(w, QTabBar):
            for i in range(w.count()):
                rect = w.tabRect(i)
                if w.isTabVisible(i) and (rect.width() < minimum or rect.height() < minimum):
                    found.append(
                        Finding(w, "small", f"tab {shown_text(w.tabText(i))!r} is {rect.width()}x{rect.height()}")
                    )
            continue
        if w.width() < minimum or w.height() < minimum:
            found.append(Finding(w, "small", f"{w.width()}x{w.height()} px"))
    return found


# -- accessible names ------------------------------------------------------------------


def accessible_name(widget: QWidget) -> str:
    """What a screen reader announces as the widget's name (Qt's accessibility, not objectName)."""
    iface = QAccessible.queryAccessibleInterface(widget)
    return iface.text(QAccessible.Text.Name).strip() if iface is not None else ""


def nameless(top: QWidget) -> list[Finding]:
    """Visible controls with no accessible name."""
    return [
        Finding(w, "nameless", "no accessible name") for w in _widgets(top) if _is_control(w) and not accessible_name(w)
    ]


def accessible_description(widget: QWidget) -> str:
    """What a screen reader announces as what the widget does (its description, else its tooltip)."""
    iface = QAccessible.queryAccessibleInterface(widget)
    return iface.text(QAccessible.Text.Description).strip() if iface is not None else ""


def undescribed(top: QWidget) -> list[Finding]:
    """Visible controls with no accessible description. A tab bar has none of its own in Qt (its
    name is the current tab's): each tab is described instead, by its tooltip."""
    found: list[Finding] = []
    for w in _widgets(top):
        if not _is_control(w):
            continue
        if isinstance(w, QTabBar):
            iface = QAccessible.queryAccessibleInterface(w)
            for i in range(w.count()):
                tab = iface.child(i) if iface is not None else None
                if w.isTabVisible(i) and (tab is None or not tab.text(QAccessible.Text.Description).strip()):
                    found.append(Finding(w, "undescribed", f"tab {shown_text(w.tabText(i))!r} has no description"))
        elif not accessible_description(w):
            found.append(Finding(w, "undescribed", "no accessible description"))
    return found


def audit(top: QWidget) -> list[Finding]:
    return clipped(top) + small_targets(top) + nameless(top)


def report(findings: list[Finding]) -> str:
    return "\n".join(f.describe() for f in findings)


# -- pseudo-locale ---------------------------------------------------------------------

_ACCENTS = str.maketrans("aceinosuyACEINOSUY", "áçéîñöšüýÁÇÉÎÑÖŠÜÝ")
_MARK = "⟦"


def pseudo(text: str) -> str:
    """The text ~40 % longer, accented and bracketed (idempotent): each line keeps its `&` markers,
    digits and line breaks, so a layout sees the same shape, only wider."""
    if not text or text.startswith(_MARK) or _rich(text):
        return text

    def one(line: str) -> str:
        if not line.strip():
            return line
        pad = max(1, math.ceil(len(line) * PSEUDO_GROWTH) - 2)
        return f"{_MARK}{line.translate(_ACCENTS)}{'~' * pad}⟧"

    return "\n".join(one(line) for line in text.split("\n"))


_HOOKED = ((QLabel, "setText"), (QAbstractButton, "setText"), (QGroupBox, "setTitle"))


def _lengthened(widget: QWidget, text: str) -> str:
    # A widget that fits its own text (a product tile: wrapped and elided to its size) keeps its
    # whole label in the "fullText" property and sets the fitted text itself: that one stays as is.
    return text if widget.property("fullText") is not None else pseudo(text)


@contextmanager
def pseudo_locale() -> Iterator[None]:
    """While on, every text a widget is given from Python (setText, setTitle, addTab, setTabText)
    comes out longer. Texts given to a constructor are C++'s: `lengthen(top)` does those."""
    originals = [(cls, name, getattr(cls, name)) for cls, name in _HOOKED]
    tab_add, tab_set = QTabBar.addTab, QTabBar.setTabText
    for cls, name, original in originals:
        setattr(cls, name, lambda self, text, _o=original: _o(self, _lengthened(self, text)))
    QTabBar.addTab = lambda self, *args: tab_add(self, *args[:-1], pseudo(args[-1]))  # type: ignore[method-assign]
    QTabBar.setTabText = lambda self, i, text: tab_set(self, i, pseudo(text))  # type: ignore[method-assign]
    try:
        yield
    finally:
        for cls, name, original in originals:
            setattr(cls, name, original)
        QTabBar.addTab = tab_add  # type: ignore[method-assign]
        QTabBar.setTabText = tab_set  # type: ignore[method-assign]


def lengthen(top: QWidget) -> None:
    """Every text already shown in `top` made pseudo-locale long (the window's own setText, so a
    widget that fits its text on setText fits the long one; one that keeps its whole label in the
    "fullText" property is given that label lengthened)."""
    for w in [top] + top.findChildren(QWidget):
        if isinstance(w, (QLabel, QAbstractButton)) and not _inside(w, (QLineEdit, QAbstractSpinBox, QComboBox)):
            full = w.property("fullText")
            w.setText(pseudo(full if full is not None else w.text()))
        elif isinstance(w, QGroupBox):
            w.setTitle(pseudo(w.title()))
        elif isinstance(w, QTabBar):
            for i in range(w.count()):
                w.setTabText(i, pseudo(w.tabText(i)))
    QApplication.processEvents()


# -- window sizes ----------------------------------------------------------------------


def show_at(window: QWidget, size: tuple[int, int]) -> None:
    """The window shown normal (not maximised) at this size, laid out."""
    window.showNormal()
    window.resize(*size)
    QApplication.processEvents()
    QApplication.processEvents()  # a resize can re-lay-out (the grid's columns) once more

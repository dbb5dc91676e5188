"""Receipts and reports on paper or PDF, through Qt's print support (no browser, no print server).

One renderer serves the printer and the PDF: monospace text laid out for 80 mm
thermal paper or A4, plus an optional bar chart. On 80 mm paper the page is cut
to the content's length, so a receipt never feeds paper past its end.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QPageLayout, QPageSize, QPainter, QPdfWriter, QTextDocument

from pos.domain.text import printable

PAPERS = ("80mm", "A4")
_MM_PER_INCH = 25.4


def monospace_font() -> QFont:
    """The fixed-width font receipts and reports are laid out in, on screen and on paper."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setStyleHint(QFont.StyleHint.Monospace)
    return font


def _font(paper: str) -> QFont:
    font = monospace_font()
    font.setPointSizeF(7.5 if paper == "80mm" else 10)
    return font


def paint_hour_chart(painter: QPainter, rect: QRectF, values: tuple[int, ...], label=lambda h: f"{h:02d}") -> None:
    """Sales by hour as bars (the screen and the paper draw the same)."""
    painter.save()
    peak = max(values) if values and max(values) > 0 else 1
    count = len(values)
    label_height = rect.height() * 0.12
    chart = QRectF(rect.left(), rect.top(), rect.width(), rect.height() - label_height)
    slot = chart.width() / count
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#2f6f4f"))
    for hour, value in enumerate(values):
        height = chart.height() * value / peak
        painter.drawRect(QRectF(chart.left() + hour * slot + slot * 0.15, chart.bottom() - height, slot * 0.7, height))
    painter.setPen(QColor("#333333"))
    font = painter.font()
    font.setPointSizeF(max(4.0, font.pointSizeF() * 0.7))
    painter.setFont(font)
    for hour in range(0, count, 3):
        painter.drawText(
            QRectF(chart.left() + hour * slot, chart.bottom(), slot * 3, label_height),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            label(hour),
        )
    painter.drawLine(chart.bottomLeft(), chart.bottomRight())
    painter.restore()


def render(device, text: str, paper: str, chart: tuple[int, ...] | None = None) -> None:
    """Lay out and paint onto a QPrinter or QPdfWriter (both are paged paint devices)."""
    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {PAPERS}")
    margin_mm = 3.0 if paper == "80mm" else 15.0
    width_mm = 80.0 if paper == "80mm" else 210.0
    dpi = device.resolution()
    doc = QTextDocument()
    doc.documentLayout().setPaintDevice(device)
    doc.setDefaultFont(_font(paper))
    doc.setDocumentMargin(0)
    doc.setPlainText(printable(text, multiline=True))  # a control character from a record shows as nothing
    content_width = (width_mm - 2 * margin_mm) / _MM_PER_INCH * dpi
    doc.setTextWidth(content_width)
    chart_height = content_width * (0.45 if paper == "80mm" else 0.3) if chart else 0
    content_height = doc.size().height() + (chart_height * 1.15 if chart else 0)
    if paper == "80mm":
        length_mm = content_height / dpi * _MM_PER_INCH + 2 * margin_mm
        size = QPageSize(
            QSizeF(width_mm, max(length_mm, 40.0)),
            QPageSize.Unit.Millimeter,
            "Receipt 80 mm",
            QPageSize.SizeMatchPolicy.ExactMatch,
        )
    else:
        size = QPageSize(QPageSize.PageSizeId.A4)
    device.setPageLayout(
        QPageLayout(
            size,
            QPageLayout.Orientation.Portrait,
            QMarginsF(margin_mm, margin_mm, margin_mm, margin_mm),
            QPageLayout.Unit.Millimeter,
        )
    )
    painter = QPainter(device)
    try:
        doc.drawContents(painter)
        if chart:
            top = doc.size().height() + chart_height * 0.1
            paint_hour_chart(painter, QRectF(0, top, content_width, chart_height), chart)
    finally:
        painter.end()


def export_pdf(path: Path, text: str, paper: str, chart: tuple[int, ...] | None = None, title: str = "") -> Path:
    writer = QPdfWriter(str(path))
    writer.setResolution(300)
    writer.setTitle(title)
    writer.setCreator("pos")
    render(writer, text, paper, chart)
    return path


def print_with_dialog(parent, text: str, paper: str, chart: tuple[int, ...] | None = None) -> bool:
    """The system print dialog, then print; False if the cashier cancelled."""
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle("Print")
    if dialog.exec() != QPrintDialog.DialogCode.Accepted:
        return False
    render(printer, text, paper, chart)
    return True

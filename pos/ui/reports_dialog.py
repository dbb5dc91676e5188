"""End of day: the X report (any time) and the Z report (closes the day), on screen, paper, PDF, CSV."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QLineEdit,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pos.domain.money import Money, MoneyError
from pos.domain.report import DayReport, render_report_text

from . import printing
from .widgets import ask_yes_no, named, touch_sized

if TYPE_CHECKING:  # annotations only: the window's frame paints before the services load
    from pos.services.session import Session


class HourChart(QWidget):
    """Sales by hour as bars, painted with Qt (the same painter code prints it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("hourChart")
        self.values: tuple[int, ...] = (0,) * 24
        self.setMinimumHeight(140)

    def set_values(self, values: tuple[int, ...]) -> None:
        self.values = values
        self.update()

    def paintEvent(self, _event):  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        printing.paint_hour_chart(painter, QRectF(self.rect().adjusted(8, 8, -8, -4)), self.values)
        painter.end()


class ReportsDialog(QDialog):
    def __init__(self, context: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reportsDialog")
        self.setWindowTitle("End of day")
        self.resize(640, 680)  # fits a 1024x768 screen with its title bar
        self.context = context
        self.reports = context.reports
        self.report: DayReport | None = None

        self.x_button = named(QPushButton("X report (day stays open)"), "xReportButton")
        self.z_button = named(QPushButton("Z report (close the day)"), "zReportButton")
        self.view = named(QPlainTextEdit(), "reportView")
        self.view.setReadOnly(True)
        self.view.setFont(printing.monospace_font())
        self.chart = HourChart()
        self.paper = named(QComboBox(), "reportPaperChoice")
        self.paper.addItem("A4", "A4")
        self.paper.addItem("80 mm receipt paper", "80mm")
        self.print_button = named(QPushButton("Print…"), "printReportButton")
        self.pdf_button = named(QPushButton("Export PDF…"), "exportReportPdfButton")
        self.csv_button = named(QPushButton("Export CSV…"), "exportReportCsvButton")
        self.message = named(QLabel(""), "reportMessage")
        self.counted = named(QLineEdit(), "countedCashField")
        self.counted.setPlaceholderText("Counted cash")
        self.counted.setToolTip("The cash counted in the drawer, for the Z report's over or short")
        # Wide enough for its words (they clipped at 150 px).
        self.counted.setMinimumWidth(self.counted.fontMetrics().horizontalAdvance(self.counted.placeholderText()) + 48)
        self.count_button = named(QPushButton("Count…"), "countDenominationsButton")
        self.count_button.setToolTip("Count the drawer by denomination (coins and notes)")
        self.count_button.clicked.connect(self.count_by_denomination)
        # Two rows, so longer words (another language) still fit: the reports, then the count for the Z.
        reports_row = QHBoxLayout()
        reports_row.addWidget(self.x_button)
        reports_row.addWidget(self.z_button)
        reports_row.addStretch(1)
        count_row = QHBoxLayout()
        count_row.addWidget(self.counted, 1)
        count_row.addWidget(self.count_button)
        top = QVBoxLayout()
        top.addLayout(reports_row)
        top.addLayout(count_row)
        bottom = QHBoxLayout()
        for w in (self.paper, self.print_button, self.pdf_button, self.csv_button):
            bottom.addWidget(w)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(QLabel("Sales by hour"))
        layout.addWidget(self.chart)
        layout.addLayout(bottom)
        layout.addWidget(self.message)
        self.counted.setAccessibleName("Counted cash")
        touch_sized(self)

        self.x_button.clicked.connect(self.show_x)
        self.z_button.clicked.connect(self._ask_z)
        self.print_button.clicked.connect(self._print)
        self.pdf_button.clicked.connect(self._ask_pdf)
        self.csv_button.clicked.connect(self._ask_csv)
        self._enable(False)
        # A read-only window (another till sells here) cannot close that till's day.
        self.z_button.setEnabled(not context.read_only)

    def _enable(self, on: bool) -> None:
        for w in (self.print_button, self.pdf_button, self.csv_button):
            w.setEnabled(on)

    def _show(self, report: DayReport) -> None:
        self.report = report
        self.view.setPlainText(self.text())
        self.chart.set_values(report.by_hour)
        self._enable(True)

    @property
    def shown(self) -> DayReport:
        """The report on screen (the buttons that use it are enabled only once one is)."""
        if self.report is None:
            raise LookupError("no report is shown yet")
        return self.report

    def text(self) -> str:
        return render_report_text(self.shown, self.context.settings.store_name, locale=self.context.settings.locale)

    def show_x(self) -> DayReport:
        self._show(self.reports.x_report())
        self.message.setText("X report: nothing was closed.")
        return self.shown

    def counted_cash(self) -> Money | None:
        """The count typed for the Z (None if left empty); MoneyError if it is not an amount."""
        text = self.counted.text().strip()
        return Money.parse(text, self.context.settings.currency) if text else None

    def count_by_denomination(self) -> None:
        """A grid of coins and notes; what they come to goes in the counted field."""
        from .count_dialog import CountDialog

        self.count_dialog = CountDialog(self.context.settings.currency, self.context.settings.locale, self)
        self.count_dialog.counted.connect(lambda total: self.counted.setText(total.major_text()))
        self.count_dialog.open()

    def close_day(self) -> DayReport | None:
        try:
            counted = self.counted_cash()
        except MoneyError:
            self.message.setText("Type the counted cash like 187.50, or leave it empty. The day is still open.")
            return None
        self._show(self.reports.close_day(counted))
        said = f"Day closed: Z report {self.shown.z_no:04d}."
        difference = self.shown.over_short_minor
        if difference:
            amount = self.shown.money(abs(difference)).format(self.context.settings.locale)
            said += f" The drawer is {'over' if difference > 0 else 'short'} by {amount}."
        self.message.setText(said)
        self.counted.clear()
        return self.shown

    def _ask_z(self) -> None:
        if ask_yes_no(self, "Close the day", "Print the Z report and close the business day? This cannot be undone."):
            self.close_day()

    def export_pdf(self, path: Path) -> Path:
        return printing.export_pdf(
            Path(path), self.text(), self.paper.currentData(), chart=self.shown.by_hour, title=self.shown.title()
        )

    def export_csv(self, path: Path) -> Path:
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(("section", "item", "value"))
            writer.writerows(self.shown.csv_rows())
        return Path(path)

    def _print(self) -> None:
        printing.print_with_dialog(self, self.text(), self.paper.currentData(), chart=self.shown.by_hour)

    def _ask_pdf(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export PDF", "report.pdf", "PDF (*.pdf)")
        if path:
            self.export_pdf(Path(path))
            self.message.setText(f"Saved {path}.")

    def _ask_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export CSV", "report.csv", "CSV (*.csv)")
        if path:
            self.export_csv(Path(path))
            self.message.setText(f"Saved {path}.")

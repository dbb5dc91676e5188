"""Receipts history: a virtual list (pages fetched as you scroll), search, the receipt as printed,
reprint, PDF, and refunds."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pos.services.receipts import (
    PAGE,
    SEARCH_HELP,
    QueryError,
    ReceiptQuery,
    Receipts,
    ReceiptSummary,
    read_search,
    today_in,
)
from pos.services.shop import SEARCH_LIMIT
from pos.domain.receipt import payment_ids, render_text
from pos.domain.refunds import render_refund_text

from . import printing
from .widgets import named, touch_sized
from .workers import run_in_background

if TYPE_CHECKING:  # annotations only: the window's frame paints before the services load
    from pos.services.session import Session


class ReceiptListModel(QAbstractTableModel):
    """Receipts newest first; Qt asks for more rows as the list scrolls (canFetchMore/fetchMore)."""

    HEADERS = ("No.", "Date and time", "Total", "Paid by", "Refunded")

    def __init__(self, receipts: Receipts, currency: str, locale: str):
        super().__init__()
        self._receipts, self._currency, self._locale = receipts, currency, locale
        self._rows: list[ReceiptSummary] = []
        self._query = ReceiptQuery()
        self._more = True
        self._with_till = False  # the number column says the till (a shop-wide list)

    def search(self, query: ReceiptQuery) -> None:
        first = self._receipts.page(query)  # raises QueryError before the list changes
        self.beginResetModel()
        self._query, self._rows, self._more = query, first, len(first) == PAGE
        self._with_till = False
        self.endResetModel()

    def show(self, rows: list[ReceiptSummary]) -> None:
        """A list found elsewhere (the shop database's, every till's): shown whole, numbered with the till."""
        self.beginResetModel()
        self._rows, self._more, self._with_till = list(rows), False, True
        self.endResetModel()

    def set_local_id(self, till_id: str, receipt_no: int, receipt_id: int) -> int | None:
        """A receipt listed from the shop database, now brought to this till: its local id, and its row.
        Found by its number, not by the row it had when asked: the list may have been searched again
        (or left for this till's own) while the receipt was on its way; then it is not listed (None)."""
        for row, summary in enumerate(self._rows):
            if (summary.till_id, summary.receipt_no) == (till_id, receipt_no):
                self._rows[row] = replace(summary, id=receipt_id)
                return row
        return None

    def rowCount(self, parent=QModelIndex()):  # noqa: N802 - Qt's names
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()):  # noqa: N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                f"{r.till_id}-{r.receipt_no:04d}" if self._with_till else f"{r.receipt_no:04d}",
                r.created_at.strftime("%Y-%m-%d %H:%M"),
                r.total.format(self._locale),
                r.paid_by,
                r.refunded.format(self._locale) if r.refunded.minor else "",
            )[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (2, 4):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def canFetchMore(self, parent=QModelIndex()):  # noqa: N802
        return not parent.isValid() and self._more

    def fetchMore(self, parent=QModelIndex()):  # noqa: N802
        if parent.isValid() or not self._rows:
            return
        more = self._receipts.page(self._query, before_id=self._rows[-1].id)
        self._more = len(more) == PAGE
        if more:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(more) - 1)
            self._rows.extend(more)
            self.endInsertRows()

    def summary(self, row: int) -> ReceiptSummary:
        return self._rows[row]

    def refresh_row(self, receipt_id: int) -> None:
        for n, r in enumerate(self._rows):
            if r.id == receipt_id:
                updated = [u for u in self._receipts.page(ReceiptQuery("number", str(r.receipt_no))) if u.id == r.id]
                if updated:
                    self._rows[n] = updated[0]
                    self.dataChanged.emit(self.index(n, 0), self.index(n, len(self.HEADERS) - 1))


class ReceiptsWindow(QDialog):
    refunded = Signal()
    exchanged = Signal(object)  # an exchange's result (services/exchanges.ExchangeResult): the counter's sale

    def __init__(self, context: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("receiptsWindow")
        self.setWindowTitle("Receipts")
        self.resize(1000, 680)  # fits a 1024x768 screen with its title bar
        self.context = context
        self.locale_name = context.settings.locale
        self.current_id: int | None = None
        self._refreshed_from_shop: int | None = None  # the receipt whose refunds at other tills were just asked

        # One box: what the text is (a number, an amount, a date, a card's last 4, a payment id) is
        # worked out from it (services/receipts.read_search); empty lists every receipt.
        self.search_field = named(QLineEdit(), "receiptSearchField")
        self.search_field.setPlaceholderText("Search: receipt no., amount, date, card last 4 or pi_…")
        self.search_field.setToolTip(f"Type {SEARCH_HELP}; leave it empty for every receipt.")
        self.search_field.setClearButtonEnabled(True)
        self.search_button = named(QPushButton("Search"), "receiptSearchButton")
        # With a shop database: search this till's receipts, or every till's (the shop database's).
        self.scope = named(QComboBox(), "receiptScope")
        self.scope.addItem("This till", "till")
        self.scope.addItem("Every till (shop)", "shop")
        self.scope.setVisible(context.shop is not None)
        self.message = named(QLabel(""), "receiptsMessage")
        self.message.setWordWrap(True)
        bar = QHBoxLayout()
        for w in (self.scope, self.search_field, self.search_button):
            bar.addWidget(w)
        bar.setStretch(1, 1)

        self.model = ReceiptListModel(context.receipts, context.settings.currency, self.locale_name)
        self.table = named(QTableView(), "receiptList")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)

        self.detail = named(QPlainTextEdit(), "receiptDetail")
        self.detail.setReadOnly(True)
        self.detail.setFont(printing.monospace_font())
        # The Stripe payment ids, for the back office only (the customer's paper has none): what a
        # dispute or Stripe's dashboard is searched by.
        self.payment_ids = named(QLabel(""), "paymentIdsLabel")
        self.payment_ids.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.payment_ids.setWordWrap(True)
        self.paper = named(QComboBox(), "paperChoice")
        self.paper.addItem("80 mm receipt paper", "80mm")
        self.paper.addItem("A4", "A4")
        self.reprint_button = named(QPushButton("Reprint…"), "reprintButton")
        self.pdf_button = named(QPushButton("Export PDF…"), "exportPdfButton")
        self.refund_button = named(QPushButton("Refund…"), "refundButton")
        # Lines of this receipt taken back for the goods in the cart, in one sale (services/exchanges.py).
        self.exchange_button = named(QPushButton("Exchange…"), "exchangeButton")
        # Goods back with no receipt to find: a manager approves, cash or store credit only.
        self.return_button = named(QPushButton("Return without a receipt…"), "returnWithoutReceiptButton")
        # Two rows (paper, then money back): in one row they pushed the list narrower than its columns.
        actions = QVBoxLayout()
        for row in (
            (self.paper, self.reprint_button, self.pdf_button),
            (self.refund_button, self.exchange_button, self.return_button),
        ):
            line = QHBoxLayout()
            for w in row:
                line.addWidget(w)
            line.addStretch(1)
            actions.addLayout(line)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(self.detail, 1)
        right_layout.addWidget(self.payment_ids)
        right_layout.addLayout(actions)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(right)
        splitter.setSizes([460, 540])

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)
        self.search_field.setAccessibleName("Search receipts")
        self.table.setAccessibleName("Receipts")
        touch_sized(self)

        self.scope.currentIndexChanged.connect(self.run_search)
        self.search_button.clicked.connect(self.run_search)
        self.search_field.returnPressed.connect(self.run_search)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self.show_receipt(cur.row()))
        self.reprint_button.clicked.connect(self.reprint)
        self.pdf_button.clicked.connect(self._ask_pdf_path)
        self.refund_button.clicked.connect(lambda: self.open_refund())
        self.exchange_button.clicked.connect(lambda: self.open_refund(exchange=True))
        self.return_button.clicked.connect(self.open_return)
        self.run_search()

    def search(self, kind: str, text: str = "", date_from=None, date_to=None) -> None:
        """A search of a given kind, run as the box's would be (tests, automation)."""
        self._run(ReceiptQuery(kind=kind, text=text, date_from=date_from, date_to=date_to))

    @property
    def shop_wide(self) -> bool:
        return self.context.shop is not None and self.scope.currentData() == "shop"

    def run_search(self) -> None:
        """The search box's text, read for what it is (services/receipts.read_search)."""
        settings = self.context.settings
        try:
            query = read_search(self.search_field.text(), settings.currency, today_in(settings.time_zone))
        except QueryError as exc:
            self.message.setText(str(exc))
            return
        self._run(query)

    def _run(self, query: ReceiptQuery) -> None:
        if self.shop_wide:
            self._search_shop(query)
            return
        try:
            self.model.search(query)
        except QueryError as exc:
            self.message.setText(str(exc))
            return
        self._listed("No receipts match.")

    def _search_shop(self, query: ReceiptQuery) -> None:
        """Every till's receipts, from the shop database, on a worker (the list shows them when they come)."""
        shop = self.context.shop
        assert shop is not None
        settings = self.context.settings
        self.search_button.setEnabled(False)
        self.message.setText("Searching every till's receipts in the shop database…")

        def found(rows: list[ReceiptSummary]) -> None:
            self.search_button.setEnabled(True)
            self.model.show(rows)
            more = f" (the newest {len(rows)}: narrow the search for older ones)" if len(rows) >= SEARCH_LIMIT else ""
            self._listed("No receipt of any till matches." if not rows else f"Every till's receipts{more}.")

        def failed(exc: BaseException) -> None:
            self.search_button.setEnabled(True)
            self.message.setText(str(exc))

        run_in_background(
            lambda _p: shop.search(query, settings.currency, settings.time_zone), on_success=found, on_failure=failed
        )

    def _listed(self, message: str) -> None:
        count = self.model.rowCount()
        self.message.setText(message if count == 0 or self.shop_wide else "")
        self.current_id = None
        self.detail.clear()
        self.payment_ids.clear()
        self._enable_actions(False)
        if count:
            self.table.selectRow(0)

    def _enable_actions(self, on: bool) -> None:
        for w in (self.reprint_button, self.pdf_button, self.refund_button, self.exchange_button):
            w.setEnabled(on)

    def show_receipt(self, row: int) -> None:
        if row < 0 or row >= self.model.rowCount():
            return
        summary = self.model.summary(row)
        if summary.id == 0:  # listed from the shop database: bring it here first (on a worker)
            self._bring_from_shop(summary)
            return
        self.current_id = summary.id
        self._show_detail()
        self._enable_actions(True)
        refundable = self.model.summary(row).status != "refunded" and not self.context.read_only
        self.refund_button.setEnabled(refundable)
        self.exchange_button.setEnabled(refundable)

    @property
    def selected(self) -> int:
        """The receipt shown (the actions that use it are enabled only once one is)."""
        if self.current_id is None:
            raise LookupError("no receipt is selected")
        return self.current_id

    def _show_detail(self) -> None:
        self.detail.setPlainText(self.receipt_text(copy=False))
        reprint = self.context.receipts.reprint(self.selected)
        ids = payment_ids(reprint.receipt)
        refunds = [r.stripe_refund for r in reprint.refunds if r.stripe_refund]
        words = [f"Stripe payment: {', '.join(ids)}"] if ids else []
        words += [f"Stripe refund: {', '.join(refunds)}"] if refunds else []
        self.payment_ids.setText("\n".join(words))

    def receipt_text(self, copy: bool) -> str:
        """The receipt as printed, then every refund against it."""
        reprint = self.context.receipts.reprint(self.selected)
        text = render_text(reprint.receipt, copy=copy, locale=self.locale_name)
        for refund in reprint.refunds:
            text += "\n" + render_refund_text(refund, locale=self.locale_name)
        return text

    def reprint(self) -> bool:
        if self.current_id is None:
            return False
        return printing.print_with_dialog(self, self.receipt_text(copy=True), self.paper.currentData())

    def export_pdf(self, path: Path) -> Path:
        receipt = self.context.receipts.receipt(self.selected)
        return printing.export_pdf(
            Path(path),
            self.receipt_text(copy=True),
            self.paper.currentData(),
            title=f"Receipt {receipt.number_text} (copy)",
        )

    def _ask_pdf_path(self) -> None:
        if self.current_id is None:
            return
        receipt = self.context.receipts.receipt(self.selected)
        path, _ = QFileDialog.getSaveFileName(self, "Export PDF", f"receipt-{receipt.number_text}.pdf", "PDF (*.pdf)")
        if path:
            self.export_pdf(Path(path))
            self.message.setText(f"Saved {path}.")

    def _bring_from_shop(self, summary: ReceiptSummary) -> None:
        shop = self.context.shop
        assert shop is not None
        self.current_id = None
        self._enable_actions(False)
        self.detail.setPlainText("Bringing the receipt from the shop database…")

        def brought(receipt_id: int | None) -> None:
            if receipt_id is None:
                self.detail.setPlainText("The shop database no longer has this receipt.")
                return
            listed = self.model.set_local_id(summary.till_id, summary.receipt_no, receipt_id)
            if listed is not None and self.table.currentIndex().row() == listed:
                self.show_receipt(listed)

        def failed(exc: BaseException) -> None:
            self.detail.setPlainText(f"{exc} Another till's receipt can be shown here only while it can be reached.")

        run_in_background(
            lambda _p: shop.receipt_from(summary.till_id, summary.receipt_no), on_success=brought, on_failure=failed
        )

    def open_refund(self, exchange: bool = False) -> None:
        """The refund dialog for the receipt shown; `exchange`: in exchange mode (lines taken back for the
        goods in the cart, one sale)."""
        from .refund_dialog import RefundDialog

        from pos.domain.staff import Permission

        from .staff_dialogs import with_approval

        if self.current_id is None:
            return
        receipt_id = self.current_id
        shop = self.context.shop
        if shop is not None and self._refreshed_from_shop != receipt_id:
            # First what other tills refunded on it (the shop knows): on a worker, then the dialog.
            summary = self.context.receipts.receipt(receipt_id)
            own = summary.till_id == self.context.till_id

            def refreshed(_id) -> None:
                self._refreshed_from_shop = receipt_id
                self._show_detail()
                self.open_refund(exchange)

            def away(exc: BaseException) -> None:
                if own:  # this till's own receipt: refund with what this till knows (Stripe caps a card)
                    self._refreshed_from_shop = receipt_id
                    self.message.setText(f"{exc} Refunds given at other tills may not show here.")
                    self.open_refund(exchange)
                else:
                    self.message.setText(f"{exc} Another till's receipt can be refunded only while it can be reached.")

            self.message.setText("Asking the shop database what was refunded at other tills…")
            run_in_background(
                lambda _p: shop.receipt_from(summary.till_id, summary.receipt_no), on_success=refreshed, on_failure=away
            )
            return
        self._refreshed_from_shop = None

        def refund(_approved_by: str) -> None:
            self.refund_dialog = RefundDialog(self.context, receipt_id, self, exchange=exchange)
            self.refund_dialog.done_refund.connect(self._after_refund)
            self.refund_dialog.exchanged.connect(self.exchanged.emit)
            self.refund_dialog.open()

        # A cashier's refund needs a manager's PIN first (recorded with both names).
        number = self.context.receipts.receipt(receipt_id).number_text
        with_approval(self, self.context.staff, Permission.REFUND, f"a refund of receipt {number}", refund)

    def open_return(self) -> None:
        """A return without a receipt: a manager's PIN first (the service checks the approval again)."""
        from pos.domain.staff import Permission

        from .return_dialog import ReturnDialog
        from .staff_dialogs import with_approval

        def take_back(approved_by: str) -> None:
            self.return_dialog = ReturnDialog(self.context, approved_by, self)
            self.return_dialog.open()

        self.approval_dialog = with_approval(
            self, self.context.staff, Permission.RETURN_WITHOUT_RECEIPT, "a return without a receipt", take_back
        )

    def reject(self) -> None:
        """Closed (by hand, or by the idle lock) with its refund dialog: never one left open alone."""
        refund = getattr(self, "refund_dialog", None)
        if refund is not None and refund.isVisible():
            refund.reject()
            if refund.isVisible():
                return  # a refund is being made: it finishes first
        super().reject()

    def _after_refund(self) -> None:
        self.model.refresh_row(self.selected)
        self._show_detail()
        self.refunded.emit()

"""Settings: the Stripe key (kept in the OS keyring, shown only masked), the store's details, the receipt
printer and this till's card reader."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QCheckBox,
    QCompleter,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from pos.services.settings import SettingsError, time_zone_names
from pos.domain import tax
from pos.domain.cash import ROUNDING_CHOICES
from pos.domain.errors import PosError
from pos.domain.giftcards import MAX_EXPIRY_MONTHS
from pos.domain.money import Money, MoneyError
from pos.domain.printer_setup import PrinterKind, PrinterSetup, PrinterSetupError
from pos.domain import currency as currencies
from pos.domain.receipt import render_text, sample_receipt
from pos.domain.redaction import redact
from pos.services.keys import KeyRefused, KeyState
from pos.services.readers import ReaderError, ReaderStatus
from pos.services.receipt_printing import Printed, PrintResult
from pos.settings_text import describe_key, key_warning_headline

from .feedback import show_message
from .printing import monospace_font
from .widgets import named, touch_sized
from .workers import run_in_background


PRINTER_KINDS = (
    ("None", PrinterKind.NONE),
    ("Network (Ethernet or Wi-Fi, port 9100)", PrinterKind.NETWORK),
    ("USB", PrinterKind.USB),
    ("Serial", PrinterKind.SERIAL),
)
ADDRESS_EXAMPLES = {
    PrinterKind.NONE: "",
    PrinterKind.NETWORK: "192.168.1.50 or printer.local:9100",
    PrinterKind.USB: "vendor:product in hex, like 04b8:0202",
    PrinterKind.SERIAL: "/dev/ttyUSB0 or COM3@19200",
}


SAVE = QMessageBox.StandardButton.Save


def _level_labels(root: QWidget) -> None:
    """Each form label level with its 44 px field (a form puts a label at its field's top)."""
    for form in root.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            text = label.widget() if label is not None else None
            if field is None or not isinstance(text, QLabel):
                continue
            text.setMinimumHeight(field.sizeHint().height())
            text.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


class TimeZonePicker(QComboBox):
    """The time zone from the list of zoneinfo names, searched by typing any part of one ("sing",
    "paris"): a name is picked, never made up. Text that names no zone is kept as typed, so Save
    says why it is refused (the settings service's rule) rather than saving something else."""

    COMPUTER = "This computer's time zone"

    def __init__(self, current: str):
        super().__init__()
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.addItem(self.COMPUTER, "")
        for name in time_zone_names():
            self.addItem(name, name)
        completer = QCompleter(self.model(), self)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)
        at = self.findData(current)
        if at >= 0:
            self.setCurrentIndex(at)
        else:
            self.setEditText(current)

    def zone(self) -> str:
        """The IANA name picked ("" for the computer's), or the text as typed when it names none."""
        text = self.currentText().strip()
        at = self.findText(text, Qt.MatchFlag.MatchFixedString)
        return self.itemData(at) if at >= 0 else text


class SettingsDialog(QDialog):
    """Settings in pages (Store, Receipt, Payments, Printer, Reader, Staff), each fitting the dialog,
    and one Save for them all. Closing with edits not saved asks first: Save, Discard or Cancel.
    The Stripe key and the card reader act at once (each is checked with Stripe as it is given)."""

    PAGES = ("Store", "Receipt", "Payments", "Printer", "Reader", "Staff")

    def __init__(self, window):
        super().__init__(window)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.window_ = window
        self.context = window.context
        self._busy = False
        self._close_after_save = False
        self.discard_prompt: QMessageBox | None = None

        s = self.context.settings
        self.pages = named(QListWidget(), "settingsPages")
        self.stack = named(QStackedWidget(), "settingsStack")
        for title, page in zip(
            self.PAGES,
            (
                self._store_page(s),
                self._receipt_page(s),
                self._payments_page(s),
                self._printer_page(s),
                self._reader_page(),
                self._staff_page(s),
            ),
            strict=True,
        ):
            page.setObjectName(f"settingsPage{title}")
            item = QListWidgetItem(title)
            item.setSizeHint(QSize(0, 44))  # a touch target, like every other one on the till
            self.pages.addItem(item)
            self.stack.addWidget(page)
        self.pages.setAccessibleName("Settings pages")
        widest = max(self.pages.fontMetrics().horizontalAdvance(title) for title in self.PAGES)
        self.pages.setFixedWidth(widest + 48)
        self.pages.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.pages.setCurrentRow(0)

        self.save_settings = named(QPushButton("Save"), "saveSettingsButton")
        self.save_settings.setDefault(True)
        self.close_button = named(QPushButton("Close"), "closeSettingsButton")
        self.settings_message = named(QLabel(""), "settingsMessage")
        self.settings_message.setWordWrap(True)
        bottom = QHBoxLayout()
        bottom.addWidget(self.settings_message, 1)
        bottom.addWidget(self.save_settings)
        bottom.addWidget(self.close_button)
        middle = QHBoxLayout()
        middle.addWidget(self.pages)
        middle.addWidget(self.stack, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(middle, 1)
        layout.addLayout(bottom)
        # Fits a 1024x768 till screen with its title bar; every page fits inside (tests/ui/test_settings_pages.py).
        touch_sized(self)
        _level_labels(self)
        self.resize(780, 640)

        self.save_key.clicked.connect(self.save_key_clicked)
        self.key_field.returnPressed.connect(self.save_key_clicked)
        self.remove_key.clicked.connect(self.remove_key_clicked)
        self.key_details_button.toggled.connect(self.key_details.setVisible)
        self.save_settings.clicked.connect(self.save_settings_clicked)
        self.close_button.clicked.connect(self.reject)
        self.printer_kind.currentIndexChanged.connect(self._printer_kind_changed)
        self.test_print.clicked.connect(self.test_print_clicked)
        self.register_reader.clicked.connect(self.register_reader_clicked)
        self.reader_code.returnPressed.connect(self.register_reader_clicked)
        self.refresh_reader.clicked.connect(self.refresh_reader_status)
        self.forget_reader.clicked.connect(self.forget_reader_clicked)
        self.reader_tipping.toggled.connect(self._tipping_toggled)
        for field in (self.store_name, self.footer, self.currency, self.tax_rate, self.till_id):
            field.textChanged.connect(self._preview_receipt)
        self.address.textChanged.connect(self._preview_receipt)
        self.inclusive.toggled.connect(self._preview_receipt)
        self._preview_receipt()
        self._printer_kind_changed()
        self._show_key_state(self.context.key_state)
        self._saved_form = self._form()
        if self.context.read_only is None:
            self.refresh_reader_status()
        else:
            self.reader_state.setText("Read-only window: the selling till sets up its reader.")
            for widget in (self.register_reader, self.refresh_reader, self.forget_reader, self.reader_code):
                widget.setEnabled(False)

    # -- pages ------------------------------------------------------------------------
    def show_page(self, title: str) -> None:
        self.pages.setCurrentRow(self.PAGES.index(title))

    def _store_page(self, s) -> QWidget:
        self.store_name = named(QLineEdit(s.store_name), "storeNameField")
        self.address = named(QPlainTextEdit(s.address), "addressField")
        self.address.setTabChangesFocus(True)  # Tab moves on (a keyboard-only owner), never types a tab
        self.address.setFixedHeight(60)
        self.currency = named(QLineEdit(s.currency), "currencyField")
        self.currency.setMaxLength(3)
        self.inclusive = named(QCheckBox("Prices include tax"), "taxInclusiveCheck")
        self.inclusive.setChecked(s.tax_inclusive)
        self.tax_rate = named(QLineEdit(tax.format_rate(s.default_tax_rate_bp)), "defaultTaxRateField")
        self.till_id = named(QLineEdit(s.till_id), "tillIdField")
        self.location = named(QLineEdit(s.location), "locationField")  # where this till's stock is
        self.time_zone = named(TimeZonePicker(s.time_zone), "timeZoneField")
        self.time_zone.setToolTip("Type any part of a name to search, like Singapore or Paris.")
        self.scale_labels = named(QLineEdit(s.scale_labels), "scaleLabelsField")
        self.scale_labels.setPlaceholderText("21=weight;23=price")
        page = QWidget()
        form = QFormLayout(page)
        form.addRow("Store name", self.store_name)
        form.addRow("Address", self.address)
        form.addRow("Currency", self.currency)
        form.addRow("", self.inclusive)
        form.addRow("Default tax rate (%)", self.tax_rate)
        form.addRow("Till id", self.till_id)
        form.addRow("Location (stock)", self.location)
        form.addRow("Time zone (calendar days)", self.time_zone)
        form.addRow("Scale labels (prefix=weight|price)", self.scale_labels)
        return page

    def _receipt_page(self, s) -> QWidget:
        self.footer = named(QLineEdit(s.receipt_footer), "receiptFooterField")
        # The receipt as it will print with the details as typed (not yet saved): a made-up sale.
        self.receipt_preview = named(QPlainTextEdit(), "receiptPreview")
        self.receipt_preview.setReadOnly(True)
        self.receipt_preview.setFont(monospace_font())
        self.receipt_preview.setAccessibleName("Receipt preview")
        page = QWidget()
        form = QFormLayout(page)
        form.addRow("Receipt footer", self.footer)
        note = QLabel("The top lines are the store name and address (the Store page). A sample sale:")
        note.setWordWrap(True)
        form.addRow(note)
        form.addRow(self.receipt_preview)
        return page

    def _preview_receipt(self) -> None:
        try:
            rate = tax.parse_rate(self.tax_rate.text())
        except ValueError:
            rate = self.context.settings.default_tax_rate_bp
        currency = self.currency.text().strip().upper()
        if not currencies.is_known(currency):
            currency = self.context.settings.currency
        sample = sample_receipt(
            self.store_name.text().strip(),
            self.address.toPlainText().strip(),
            self.footer.text().strip(),
            currency,
            self.inclusive.isChecked(),
            rate,
            datetime.now(),
            self.till_id.text().strip() or self.context.settings.till_id,
        )
        self.receipt_preview.setPlainText(render_text(sample, locale=self.context.settings.locale))

    def _payments_page(self, s) -> QWidget:
        self.key_status = named(QLabel(), "keyStatusLabel")
        self.key_status.setWordWrap(True)
        self.key_field = named(QLineEdit(), "apiKeyField")
        self.key_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_field.setPlaceholderText("sk_test_… or rk_test_…")
        # The key is checked with Stripe and kept in the OS keyring as it is given: its own action.
        self.save_key = named(QPushButton("Use this key"), "saveKeyButton")
        self.remove_key = named(QPushButton("Remove key"), "removeKeyButton")
        self.key_message = named(QLabel(""), "keyMessage")
        self.key_message.setWordWrap(True)
        # Why the keyring cannot keep the key, in full, only when asked (the message says it in one line).
        self.key_details_button = named(QPushButton("Details"), "keyDetailsButton")
        self.key_details_button.setCheckable(True)
        self.key_details_button.setVisible(False)
        self.key_details = named(QLabel(""), "keyDetails")
        self.key_details.setWordWrap(True)
        self.key_details.setVisible(False)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_field, 1)
        key_row.addWidget(self.save_key)
        key_row.addWidget(self.remove_key)
        message_row = QHBoxLayout()
        message_row.addWidget(self.key_message, 1)
        message_row.addWidget(self.key_details_button, 0, Qt.AlignmentFlag.AlignTop)
        key_box = QGroupBox("Stripe API key")
        key_layout = QVBoxLayout(key_box)
        key_layout.addWidget(self.key_status)
        key_layout.addLayout(key_row)
        key_layout.addLayout(message_row)
        key_layout.addWidget(self.key_details)
        self.cash_rounding = named(QComboBox(), "cashRounding")
        for choice in ROUNDING_CHOICES:
            self.cash_rounding.addItem(f"to the nearest {choice}" if choice else "none (exact cash)", choice)
        self.cash_rounding.setCurrentIndex(max(0, self.cash_rounding.findData(s.cash_rounding)))
        # Never by default: many jurisdictions forbid gift cards that expire (services/settings.py).
        self.gift_card_expiry = named(QSpinBox(), "giftCardExpiryField")
        self.gift_card_expiry.setRange(0, MAX_EXPIRY_MONTHS)
        self.gift_card_expiry.setSpecialValueText("never")
        self.gift_card_expiry.setSuffix(" months")
        self.gift_card_expiry.setValue(s.gift_card_expiry_months)
        self.gift_card_expiry.setToolTip("For cards sold from now on; a card already sold keeps its day.")
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(key_box)
        form = QFormLayout()
        form.addRow("Cash rounding (cash only)", self.cash_rounding)
        form.addRow("Gift cards expire after", self.gift_card_expiry)
        layout.addLayout(form)
        layout.addStretch(1)
        return page

    def _printer_page(self, s) -> QWidget:
        printer = s.printer
        self.printer_kind = named(QComboBox(), "printerKind")
        for label, kind in PRINTER_KINDS:
            self.printer_kind.addItem(label, kind.value)
        self.printer_kind.setCurrentIndex(self.printer_kind.findData(printer.kind.value))
        self.printer_address = named(QLineEdit(printer.address), "printerAddress")
        self.test_print = named(QPushButton("Test print"), "testPrintButton")
        self.printer_message = named(QLabel(""), "printerMessage")
        self.printer_message.setWordWrap(True)
        page = QWidget()
        printer_form = QFormLayout(page)
        printer_form.addRow(QLabel("<b>Receipt printer and cash drawer (ESC/POS)</b>"))
        printer_form.addRow("Connection", self.printer_kind)
        printer_form.addRow("Address", self.printer_address)
        printer_form.addRow(self.test_print)
        printer_form.addRow(self.printer_message)
        return page

    def _reader_page(self) -> QWidget:
        # The card reader (Stripe Terminal), per till: register it with the code it shows.
        self.reader_state = named(QLabel("Checking the card reader…"), "readerSetupStatus")
        self.reader_state.setWordWrap(True)
        self.reader_code = named(QLineEdit(), "readerCodeField")
        self.reader_code.setPlaceholderText("the code the reader shows (test mode: simulated-wpe)")
        self.reader_location = named(QComboBox(), "readerLocation")
        self.reader_location.addItem("A new location named after the store", None)
        self.reader_label = named(QLineEdit(), "readerLabelField")
        self.reader_label.setPlaceholderText("a name for it, like Front counter (optional)")
        self.register_reader = named(QPushButton("Register reader"), "registerReaderButton")
        self.refresh_reader = named(QPushButton("Check status"), "refreshReaderButton")
        self.forget_reader = named(QPushButton("Stop using it"), "forgetReaderButton")
        self.reader_tipping = named(QCheckBox("Offer the customer a tip on the reader"), "readerTippingCheck")
        self.reader_tipping.setChecked(self.context.settings.reader_tipping)
        # As wide as its words: a check box takes clicks on its box and text only, not the row's blank end.
        self.reader_tipping.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.reader_message = named(QLabel(""), "readerMessage")
        self.reader_message.setWordWrap(True)
        page = QWidget()
        reader_form = QFormLayout(page)
        reader_form.addRow(QLabel("<b>Card reader (Stripe Terminal)</b>"))
        reader_form.addRow("This till's reader", self.reader_state)
        reader_form.addRow("Registration code", self.reader_code)
        reader_form.addRow("Name", self.reader_label)
        reader_form.addRow("Stripe location", self.reader_location)
        reader_buttons = QHBoxLayout()
        for button in (self.register_reader, self.refresh_reader, self.forget_reader):
            reader_buttons.addWidget(button)
        reader_form.addRow(reader_buttons)
        reader_form.addRow(self.reader_tipping)
        reader_form.addRow(self.reader_message)
        return page

    def _staff_page(self, s) -> QWidget:
        # With cashiers: lock after idle minutes; a discount or open price above the limit needs a manager.
        self.idle_lock = named(QSpinBox(), "idleLockField")
        self.idle_lock.setRange(0, 24 * 60)
        self.idle_lock.setSpecialValueText("never")
        self.idle_lock.setSuffix(" min")
        self.idle_lock.setValue(s.idle_lock_minutes)
        self.discount_limit = named(QLineEdit(tax.format_rate(s.discount_limit_bp)), "discountLimitField")
        limit = Money(s.open_price_limit_minor, s.currency).major_text()
        self.open_price_limit = named(QLineEdit(limit), "openPriceLimitField")
        page = QWidget()
        form = QFormLayout(page)
        form.addRow("Lock the till when idle", self.idle_lock)
        form.addRow("Discounts above (%) need a manager", self.discount_limit)
        form.addRow("Open prices above need a manager", self.open_price_limit)
        return page

    # -- edits not saved ------------------------------------------------------------------
    def _form(self) -> tuple:
        """What the pages show now, compared with what they showed when last opened or saved."""
        return (
            self.store_name.text(),
            self.address.toPlainText(),
            self.currency.text(),
            self.inclusive.isChecked(),
            self.tax_rate.text(),
            self.till_id.text(),
            self.location.text(),
            self.time_zone.zone(),
            self.scale_labels.text(),
            self.footer.text(),
            self.cash_rounding.currentData(),
            self.printer_kind.currentData(),
            self.printer_address.text(),
            self.idle_lock.value(),
            self.gift_card_expiry.value(),
            self.discount_limit.text(),
            self.open_price_limit.text(),
        )

    @property
    def edited(self) -> bool:
        return self._form() != self._saved_form

    def _ask_before_discarding(self) -> None:
        """Save / Discard / Cancel, opened (not exec'd) so the dialog and the tests stay responsive."""
        if self.discard_prompt is not None and self.discard_prompt.isVisible():
            return
        prompt = named(
            QMessageBox(
                QMessageBox.Icon.Question,
                "Unsaved settings",
                "Save the changes to the settings before closing?",
                SAVE | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                self,
            ),
            "discardEditsPrompt",
        )
        prompt.setDefaultButton(SAVE)
        prompt.setEscapeButton(QMessageBox.StandardButton.Cancel)
        prompt.finished.connect(lambda _code: self._answered(prompt))
        self.discard_prompt = prompt
        prompt.open()

    def _answered(self, prompt: QMessageBox) -> None:
        clicked = prompt.clickedButton()
        if clicked is None:
            return  # closed unanswered (revoke): nothing to do
        button = prompt.standardButton(clicked)
        if button == SAVE:
            self._close_after_save = True
            self.save_settings_clicked()
        elif button == QMessageBox.StandardButton.Discard:
            self._saved_form = self._form()
            self.reject()

    # -- key ------------------------------------------------------------------------
    def _show_key_state(self, state: KeyState) -> None:
        self.key_status.setText(describe_key(state))
        self.remove_key.setEnabled(state.source in ("keyring", "session"))
        if state.warning:
            show_message(self.key_message, key_warning_headline(state.warning), "warning")
        self._key_details(state.warning)

    def _key_details(self, warning: str | None) -> None:
        self.key_details.setText(warning or "")
        self.key_details_button.setVisible(bool(warning))
        if not warning:
            self.key_details_button.setChecked(False)

    def _say_key(self, text: str, error: bool = False) -> None:
        show_message(self.key_message, text, "error" if error else "info")

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for w in (self.key_field, self.save_key, self.remove_key):
            w.setEnabled(not busy)

    @property
    def busy(self) -> bool:
        return self._busy

    def _unfinished_payments(self) -> bool:
        """A key change moves the till to another Stripe account: settle this one's payments first."""
        waiting = self.context.till.unfinished_sales()
        if waiting:
            self.key_field.clear()
            self._say_key(
                f"{len(waiting)} payment(s) of the current mode are unfinished. Settle them first "
                "(Sale → Check unfinished payments), then change the key.",
                error=True,
            )
        return bool(waiting)

    def save_key_clicked(self) -> None:
        from pos.domain.staff import Permission

        from .staff_dialogs import with_approval

        key = self.key_field.text()
        if self._busy or self._unfinished_payments():
            return
        # Only the owner changes the Stripe key (a manager cannot approve it).
        with_approval(
            self, self.context.staff, Permission.STRIPE_KEY, "a new Stripe key", lambda _by: self._save_key(key)
        )

    def _save_key(self, key: str) -> None:
        self._set_busy(True)
        self._say_key("Checking the key with Stripe…")
        keys = self.context.keys
        run_in_background(lambda _p: keys.save(key), on_success=self._key_saved, on_failure=self._key_failed)

    def _key_saved(self, state: KeyState) -> None:
        self._set_busy(False)
        self.key_field.clear()
        effective = self.context.keys.current()
        self.context.use_key(effective)
        self.window_.refresh_mode()
        self._show_key_state(effective)
        where = "in the OS keyring" if state.source == "keyring" else "for this session only"
        self._say_key(f"Key {state.masked} saved {where}. The till is now in test mode.", error=False)
        if state.warning:
            self._say_key(f"Key {state.masked} is kept for this session only (no keyring: see Details).", error=True)
            self._key_details(state.warning)

    def _key_failed(self, exc: Exception) -> None:
        self._set_busy(False)
        self.key_field.clear()
        if isinstance(exc, KeyRefused):
            self._say_key(str(exc), error=True)
        else:
            self._say_key("The key could not be saved. Nothing was stored.", error=True)

    def remove_key_clicked(self) -> None:
        from pos.domain.staff import Permission

        from .staff_dialogs import with_approval

        if self._busy or self._unfinished_payments():
            return
        with_approval(self, self.context.staff, Permission.STRIPE_KEY, "removing the Stripe key", self._remove_key)

    def _remove_key(self, _approved_by: str = "") -> None:
        self._set_busy(True)
        keys = self.context.keys
        run_in_background(lambda _p: keys.remove(), on_success=self._key_removed, on_failure=self._key_failed)

    def _key_removed(self, state: KeyState) -> None:
        self._set_busy(False)
        self.context.use_key(state)
        self.window_.refresh_mode()
        self._show_key_state(state)
        self._say_key("Key removed." + (" The till is back in demo mode." if state.demo else ""))

    # -- store settings -----------------------------------------------------------------
    def save_settings_clicked(self) -> None:
        try:
            rate = tax.parse_rate(self.tax_rate.text())
            limit = tax.parse_rate(self.discount_limit.text())
        except ValueError as exc:
            return self._say_settings(str(exc), error=True)
        try:
            price_limit = Money.parse(self.open_price_limit.text(), self.context.settings.currency).minor
        except MoneyError as exc:
            return self._say_settings(f"Not saved: the open-price limit: {exc}.", error=True)
        form = self._form()
        till_id = self.till_id.text()
        new = replace(
            self.context.settings,
            store_name=self.store_name.text().strip(),
            address=self.address.toPlainText().strip(),
            currency=self.currency.text(),
            tax_inclusive=self.inclusive.isChecked(),
            default_tax_rate_bp=rate,
            receipt_footer=self.footer.text().strip(),
            till_id=till_id,
            location=self.location.text(),
            time_zone=self.time_zone.zone(),
            cash_rounding=self.cash_rounding.currentData(),
            idle_lock_minutes=self.idle_lock.value(),
            gift_card_expiry_months=self.gift_card_expiry.value(),
            discount_limit_bp=limit,
            open_price_limit_minor=price_limit,
            scale_labels=self.scale_labels.text(),
            printer_kind=self.printer_kind.currentData(),
            printer_address=self.printer_address.text(),
        )
        shop, store = self.context.shop, self.context.store_settings
        if shop is not None and new.till_id.strip() != self.context.settings.till_id:
            # The settings service's till-id rule (`pos settings set` asks the same), on a worker.
            self._say_settings("Asking the shop database whether the till id is free…")

            def free(note: str) -> None:
                self._save_settings(new, f" {note}" if note else "", form)

            def asked(exc: BaseException) -> None:
                if isinstance(exc, SettingsError):
                    return self._say_settings(f"Not saved: {exc}.", error=True)
                self._save_settings(
                    new, f" The shop database could not be asked ({exc}); the next sync checks it.", form
                )

            run_in_background(lambda _p: store.check_till_id(shop, new.till_id), on_success=free, on_failure=asked)
            return
        self._save_settings(new, "", form)

    def _save_settings(self, new, note: str, form: tuple) -> None:
        try:
            self.context.store_settings.save(new)
        except PosError as exc:
            self.currency.setText(self.context.settings.currency)
            return self._say_settings(str(exc), error=True)
        self._saved_form = form  # what was saved: edits made while the shop was asked stay edits
        self.window_.apply_settings()
        self._say_settings("Store settings saved." + note)
        if self._close_after_save:
            self.reject()

    # -- card reader -------------------------------------------------------------------
    def _reader_busy(self, busy: bool, text: str = "") -> None:
        for widget in (self.register_reader, self.refresh_reader, self.forget_reader):
            widget.setEnabled(not busy)
        if text:
            show_message(self.reader_message, text, "info")

    def refresh_reader_status(self) -> None:
        readers = self.context.readers
        self._reader_busy(True)
        run_in_background(
            lambda _p: (readers.status(), readers.locations()),
            on_success=lambda found: self._reader_status_shown(*found),
            on_failure=self._reader_failed,
        )

    def _reader_status_shown(self, status: ReaderStatus, locations=None) -> None:
        self._reader_busy(False)
        if locations is not None:
            chosen = self.reader_location.currentData()
            self.reader_location.clear()
            for location in locations:
                self.reader_location.addItem(location.name, location.id)
            self.reader_location.addItem("A new location named after the store", None)
            at = self.reader_location.findData(chosen) if chosen else -1
            self.reader_location.setCurrentIndex(max(at, 0))
        self.reader_state.setText(status.message)
        self.forget_reader.setEnabled(status.reader is not None or self.context.readers.reader_id is not None)

    def register_reader_clicked(self) -> None:
        readers = self.context.readers
        code, label = self.reader_code.text(), self.reader_label.text()
        location = self.reader_location.currentData()
        self._reader_busy(True, "Registering the reader with Stripe…")
        run_in_background(
            lambda _p: readers.register(code, label, location, new_location=location is None),
            on_success=self._reader_registered,
            on_failure=self._reader_failed,
        )

    def _reader_registered(self, status: ReaderStatus) -> None:
        self._reader_status_shown(status)
        self.reader_code.clear()
        show_message(self.reader_message, "Registered. The Card reader button now takes payments on it.", "info")

    def _tipping_toggled(self, offered: bool) -> None:
        try:
            self.context.readers.set_tipping(offered)
        except PosError as exc:
            return self._reader_failed(exc)
        show_message(
            self.reader_message,
            "The reader offers a tip screen; tips print on the receipt and show in the reports."
            if offered
            else "The reader skips the tip screen.",
            "info",
        )

    def forget_reader_clicked(self) -> None:
        try:
            self.context.readers.forget()
        except ReaderError as exc:
            return self._reader_failed(exc)
        self.reader_state.setText("No card reader is set up for this till.")
        show_message(self.reader_message, "This till no longer uses a card reader.", "info")

    def _reader_failed(self, exc: Exception) -> None:
        self._reader_busy(False)
        text = str(exc) if isinstance(exc, ReaderError) else f"The reader could not be reached: {redact(str(exc))}"
        show_message(self.reader_message, text, "error")

    # -- receipt printer --------------------------------------------------------------
    def _printer_kind_changed(self) -> None:
        kind = PrinterKind(self.printer_kind.currentData())
        self.printer_address.setEnabled(kind is not PrinterKind.NONE)
        self.test_print.setEnabled(kind is not PrinterKind.NONE)
        self.printer_address.setPlaceholderText(ADDRESS_EXAMPLES[kind])

    def test_print_clicked(self) -> None:
        """A test page on the printer as typed (not saved yet), off the UI thread."""
        try:
            setup = PrinterSetup.parse(self.printer_kind.currentData(), self.printer_address.text())
        except PrinterSetupError as exc:
            return show_message(self.printer_message, str(exc), "error")
        self.test_print.setEnabled(False)
        show_message(self.printer_message, f"Printing a test page on {setup.describe()}…", "info")
        printing = self.context.printing

        def done(result: PrintResult) -> None:
            self.test_print.setEnabled(True)
            show_message(self.printer_message, result.message, "info" if isinstance(result, Printed) else "error")

        def failed(exc: Exception) -> None:
            self.test_print.setEnabled(True)
            show_message(self.printer_message, f"The test page could not be printed: {exc}", "error")

        run_in_background(lambda _p: printing.test_print(setup), on_success=done, on_failure=failed)

    def _say_settings(self, text: str, error: bool = False) -> None:
        if error:
            self._close_after_save = False  # the prompt's Save did not save: the dialog stays, saying why
        show_message(self.settings_message, text, "error" if error else "info")

    def revoke(self) -> None:
        """The rights it was opened on are gone (the idle lock, a sign-out, a disabled manager): the
        edits are thrown away without asking, since the one who could answer has left the till."""
        if self.discard_prompt is not None:
            self.discard_prompt.done(0)  # closed unanswered: no Save on someone else's rights
        self._close_after_save = False
        self._saved_form = self._form()
        self.reject()

    def reject(self) -> None:
        """Close, Esc and the window's close button all come here (QDialog's closeEvent calls it)."""
        if self._busy:
            return  # wait for the key check to answer
        if self.edited:
            return self._ask_before_discarding()
        self._close_after_save = False
        super().reject()

"""The main window's rounds in the background: unfinished payments settled (at start, every minute,
from the Sale menu), the shop database's sync, the audit trail's check at start, and the full check
of the till's file (soon after the start, then daily). Each runs on a
worker; this part only shows what they said."""

from __future__ import annotations

import logging

from pos.domain.redaction import redact

from .window_parts import WindowParts
from .workers import run_in_background

log = logging.getLogger(__name__)


class BackgroundRounds(WindowParts):
    """Mixed into MainWindow (pos/ui/main_window.py), which builds the labels and timers named here."""

    def _check_audit_trail(self) -> None:
        audit = self.session.audit
        run_in_background(
            lambda _p: audit.check_at_start(),
            on_success=lambda warning: self._audit_warning(warning),
            on_failure=lambda exc: log.warning("the audit trail could not be checked: %s", exc),
        )

    def _audit_warning(self, warning: str | None) -> None:
        self.audit_warning = warning
        if warning:
            self.say(warning, error=True)
            from PySide6.QtWidgets import QMessageBox  # after the window's first paint (issue 27 item 3)

            box = QMessageBox(QMessageBox.Icon.Warning, "Audit trail", warning, QMessageBox.StandardButton.Ok, self)
            box.setObjectName("auditWarning")
            box.setModal(False)
            box.show()

    def check_storage(self) -> None:
        """SQLite's full check of the till's file on a worker (it reads the whole file; a start after
        a clean close skipped it): the status bar says what it found, and damage is said plainly."""
        storage = self.session.storage
        if self._checking_storage or self._closed:
            return
        self._checking_storage = True

        def done(found) -> None:
            self._checking_storage = False
            if self._closed:
                return
            self.say(found.text, error=not found.sound)
            if not found.sound:
                from PySide6.QtWidgets import QMessageBox

                box = QMessageBox(QMessageBox.Icon.Critical, "Database damaged", found.text, parent=self)
                box.setObjectName("storageWarning")
                box.setModal(False)
                box.show()
            self._storage_timer.start(int(storage.next_in() * 1000))

        def failed(exc: BaseException) -> None:
            self._checking_storage = False
            log.warning("the till's database could not be checked: %s", exc)
            if not self._closed:
                self._storage_timer.start(int(storage.next_in() * 1000))

        run_in_background(lambda _p: storage.run(), on_success=done, on_failure=failed)

    def sync_shop(self) -> None:
        """One sync round with the shop database on a worker (never two at once); the status bar says
        how it went: "Shop: synced 12:03", or what is waiting while the shop database is away."""
        shop = self.session.shop
        if shop is None or self._syncing or self._closed:
            return
        self._syncing = True

        def done(_result) -> None:
            self._syncing = False
            if self._closed:
                return  # the window closed while the round ran: nothing left to show it on
            self._show_shop()
            self._shop_timer.start(self.shop_interval_ms or int(shop.next_round_in() * 1000))

        def failed(exc: BaseException) -> None:
            self._syncing = False
            log.warning("shop sync failed: %s", exc)
            if self._closed:
                return
            self.shop_label.setText(f"Shop sync failed: {exc}")
            self._shop_timer.start(self.shop_interval_ms or int(shop.next_round_in() * 1000))

        run_in_background(lambda _p: shop.round(), on_success=done, on_failure=failed)

    def _show_shop(self) -> None:
        shop = self.session.shop
        if shop is None:
            return
        self.shop_label.setText(shop.status_text(self.session.settings.time_zone))
        last = shop.last
        if last is not None and last.pulled.settings:
            self.apply_settings()  # the shop's settings came down: as if saved here
        if last is not None and last.pulled.products:
            # Another till's catalog edits came down: the tabs and the grid read again. A tile kept
            # the product as it was read (a tap added it at the old price; a new category had no tab).
            self.products.reload()

    def run_recovery(self, quiet: bool) -> None:
        if self._recovering:
            return
        counter = self.counter
        self._recovering = True

        def work(_progress):
            settled = counter.recover()
            return settled.messages, settled.needs_person

        run_in_background(
            work, on_success=lambda r: self._recovered(r, quiet), on_failure=lambda exc: self._recovery_failed(exc)
        )

    def _recovered(self, outcome: tuple[list[str], bool], quiet: bool) -> None:
        self._recovering = False
        messages, needs_person = outcome
        if self.payment_dialog is None or not self.payment_dialog.isVisible():
            # A sale this till was paying in parts when it stopped comes back to the counter, owing the rest.
            restored = self.counter.restore_split_sale()  # the cart redraws on the counter's events
            if restored:
                messages = [*messages, restored]
        again = quiet and messages == self.last_recovery  # the timer's round said nothing new (cash still owed)
        self.last_recovery = messages
        if again and messages:
            return
        if not messages:
            if not quiet:
                self.say("No unfinished payments.")
            return
        text = "\n".join(messages)
        self.say(messages[-1], error=needs_person)
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(
            QMessageBox.Icon.Information, "Unfinished payments checked", text, QMessageBox.StandardButton.Ok, self
        )
        box.setObjectName("recoveryReport")
        box.setModal(False)
        box.show()

    def _recovery_failed(self, exc: Exception) -> None:
        self._recovering = False
        self.say(f"Could not check unfinished payments: {redact(str(exc))}", error=True)

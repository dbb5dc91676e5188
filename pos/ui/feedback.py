"""Messages to the cashier in a label, coloured by kind (info, warning, error) through the theme."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel


def show_message(label: QLabel, text: str, kind: str = "info") -> None:
    label.setText(text)
    label.setProperty("kind", kind)
    # A dynamic property only restyles once the style is re-applied.
    label.style().unpolish(label)
    label.style().polish(label)

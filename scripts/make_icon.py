"""Draw the app icon with Qt and save it as PNG (Linux, window icon) and ICO (Windows builds).

QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/make_icon.py
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QRectF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter, QPen  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "resources" / "icons"


def draw(size: int) -> QImage:
    image = QImage(size, size, QImage.Format_ARGB32)
    image.fill(Qt.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.Antialiasing)
    s = size / 256
    p.setBrush(QColor("#2f6f4f"))
    p.setPen(Qt.NoPen)
    p.drawRoundedRect(QRectF(8 * s, 8 * s, 240 * s, 240 * s), 48 * s, 48 * s)
    p.setBrush(QColor("#fdfaf3"))
    p.drawRect(QRectF(68 * s, 40 * s, 120 * s, 176 * s))  # the receipt
    p.setPen(QPen(QColor("#2f6f4f"), 10 * s))
    for y in (84, 112, 140):
        p.drawLine(int(88 * s), int(y * s), int(168 * s), int(y * s))
    font = QFont("DejaVu Sans", int(34 * s) or 1, QFont.Bold)
    p.setFont(font)
    p.drawText(QRectF(68 * s, 150 * s, 120 * s, 56 * s), Qt.AlignCenter, "$")
    p.end()
    return image


def main() -> None:
    app = QGuiApplication([])  # noqa: F841 - fonts need an application
    OUT.mkdir(parents=True, exist_ok=True)
    draw(256).save(str(OUT / "pos.png"))
    draw(256).save(str(OUT / "pos.ico"))
    print(f"icons in {OUT}")


if __name__ == "__main__":
    main()

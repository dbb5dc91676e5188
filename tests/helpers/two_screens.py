"""A till's window on a machine with two screens, for the customer display test (its own process:
Qt's offscreen platform is told of two screens when the application starts, and the test process's
application has one).

    QT_QPA_PLATFORM=offscreen:configfile=SCREENS.json python -m tests.helpers.two_screens DATA_DIR SANDBOX_URL MODE

MODE is the till's customer_display setting (auto, on or off). The Stripe key comes from
POS_STRIPE_API_KEY, as for a headless till. Prints one JSON line: whether the display shows, full
screen or not, the screen it is on and its geometry, and whether the counter asks the customer for
the receipt.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from pos.app import build_context, create_main_window


def main() -> int:
    data_dir, url, mode = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    context = build_context(data_dir, stripe_base_url=url)
    context.store_settings.change("customer_display", mode)  # as `pos settings set` keeps it
    context.close()
    app = QApplication([])
    window = create_main_window(data_dir, stripe_base_url=url)
    window.show()
    app.processEvents()
    display = window.customer_display
    geometry = display.geometry()
    print(
        json.dumps(
            {
                "screens": [screen.name() for screen in app.screens()],
                "visible": display.isVisible(),
                "full_screen": display.isFullScreen(),
                "screen": display.screen().name(),
                "geometry": [geometry.x(), geometry.y(), geometry.width(), geometry.height()],
                "customer_chooses_receipt": window.counter.customer_chooses_receipt,
            }
        ),
        flush=True,
    )
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

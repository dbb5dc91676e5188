"""What loads before the window's first paint (issue 27 item 3): the frame only, not the sale screen.

`python -X importtime` lists every module a process imports, in order, on stderr; the start-up probe
exits right after the first paint, so that list is what the first window paid for. The sale screen's
services, panels and payment dialog, the database and Stripe load after it, when the till attaches.
"""

from __future__ import annotations

import subprocess
import sys

from tests.ui.test_launch import ROOT, env_for

# Each is the sale screen's, not the frame's: with it imported, the first paint waits for it.
AFTER_FIRST_PAINT = (
    "pos.services.counter",
    "pos.services.checkout",
    "pos.services.counter_events",
    "pos.services.receipt_printing",
    "pos.ui.payment_dialog",
    "pos.ui.product_panel",
    "pos.ui.cart_panel",
    "pos.ui.customer_display",
    "pos.ui.counter_bridge",
    "sqlalchemy",
    "stripe",
)


def imported_before_first_paint(tmp_path) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pos", "--data-dir", str(tmp_path / "d"), "--startup-probe"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env_for(tmp_path),
        cwd=ROOT,
    )
    assert done.returncode == 0 and "startup-probe first-paint" in done.stdout, done.stderr[-2000:]
    # "import time:   self |  cumulative | <indent>name"
    return {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}


def test_the_sale_screen_loads_after_the_first_paint(tmp_path):
    modules = imported_before_first_paint(tmp_path)
    assert "pos.ui.main_window" in modules  # the frame itself is measured
    assert sorted(m for m in AFTER_FIRST_PAINT if m in modules) == []

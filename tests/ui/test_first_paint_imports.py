"""What loads before the window's first paint (issue 27 item 3): the frame only, not the sale screen.

`python -X importtime` lists every module a process imports, in order, on stderr; the start-up probe
exits right after the first paint, so that list is what the first window paid for. The sale screen's
services, panels and payment dialog, the database and Stripe load after it, when the till attaches.
Counted, not timed: a module imported before the first paint is a cost whatever the machine's load.
"""

from __future__ import annotations

import subprocess
import sys

from tests.ui.test_launch import ROOT, env_for

# Each is the sale screen's or a command's, not the frame's: with it imported, the first paint waits for it.
AFTER_FIRST_PAINT = (
    "pos.cli",  # the commands' parsers and handlers: the window reads its options with pos.window_cli
    "pos.services.counter",
    "pos.services.checkout",
    "pos.services.counter_events",
    "pos.services.receipt_printing",
    "pos.services.staff",
    "pos.services.about",
    "pos.domain.money",
    "pos.domain.tender",
    "pos.ui.payment_dialog",
    "pos.ui.product_panel",
    "pos.ui.cart_panel",
    "pos.ui.customer_display",
    "pos.ui.counter_bridge",
    "pos.ui.keyboard",
    "pos.ui.view_menu",
    "hashlib",  # OpenSSL, for the PINs (pos.domain.staff imports it with the first PIN)
    "json",
    "decimal",
    "sqlalchemy",
    "stripe",
)
# The modules the till's first window imports that the bare PySide6 window (bench/startup.py's) does
# not: the frame's own (pos.ui's window parts, the theme, the launcher), importlib.resources for
# resources/ in a source checkout, ctypes (the theme's colour-scheme question), dataclasses, and a few
# more. 43 at this writing (140 before issue 27's ninth session); a module added before the first
# paint shows up here, with its name, and belongs after the paint instead.
EXTRA_MODULES_AT_MOST = 43

DRIVER = """
import os, sys
import PySide6.QtCore as QtCore
import PySide6.QtGui as QtGui
import PySide6.QtWidgets as QtWidgets

AFTER = {QtCore: ["Qt"], QtGui: ["QKeySequence", "QAction"], QtWidgets: ["QStyle", "QMessageBox", "QInputDialog"]}

exit_now = os._exit


def report(code):
    # The probe ends the process here, right after the first paint.
    # PySide6 puts a class in its module's namespace when it builds it (on its first use).
    built = [name for module, names in AFTER.items() for name in names if module.__dict__.get(name) is not None]
    print("built-before-first-paint", built, flush=True)
    exit_now(code)


os._exit = report
from pos.__main__ import main

main(sys.argv[1:])
"""


def imported_by(argv: list[str], tmp_path) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env=env_for(tmp_path),
        cwd=ROOT,
    )
    assert done.returncode == 0 and "startup-probe first-paint" in done.stdout, done.stderr[-2000:]
    # "import time:   self |  cumulative | <indent>name"
    return {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}


def imported_before_first_paint(tmp_path) -> set[str]:
    return imported_by(["-m", "pos", "--data-dir", str(tmp_path / "d"), "--startup-probe"], tmp_path)


def test_the_sale_screen_loads_after_the_first_paint(tmp_path):
    modules = imported_before_first_paint(tmp_path)
    assert "pos.ui.main_window" in modules  # the frame itself is measured
    assert sorted(m for m in AFTER_FIRST_PAINT if m in modules) == []


def test_the_first_window_imports_few_modules_beyond_a_bare_pyside_window(tmp_path):
    from bench.startup import BARE

    bare_script = tmp_path / "bare.py"
    bare_script.write_text(BARE)
    extra = imported_before_first_paint(tmp_path) - imported_by([str(bare_script)], tmp_path)
    assert len(extra) <= EXTRA_MODULES_AT_MOST, sorted(extra)


def test_nothing_before_the_first_paint_builds_the_qt_namespace_qstyle_or_the_dialogs(tmp_path):
    """PySide6 6.11 builds a type's enums with the type, on its first touch: all ~93 of `Qt` (~12 ms of
    CPU, over a tenth of a bare window's start), QStyle's ~580 members (~5 ms), and less for each of
    the others (~0.5 ms). The frame needs none of them (the theme reads the system's colour scheme as
    a number, the application starts in Fusion by its arguments, the loading label is centred by its
    style; menus, dialogs and shortcuts come with the till), so they are built after the paint."""
    script = tmp_path / "probe.py"
    script.write_text(DRIVER)
    done = subprocess.run(
        [sys.executable, str(script), "--data-dir", str(tmp_path / "d"), "--startup-probe"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env_for(tmp_path),
        cwd=ROOT,
    )
    assert "startup-probe first-paint" in done.stdout, done.stderr[-2000:]
    assert "built-before-first-paint []" in done.stdout, done.stdout


def test_the_frames_loading_words_are_centred_by_their_style(qtbot):
    """The loading label is centred by `qproperty-alignment` (setAlignment would need the Qt namespace
    before the first paint): once polished, as it is before it paints, it is centred, and stays so
    when it turns into the start-up error."""
    from PySide6.QtCore import Qt

    from pos.ui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.loading.ensurePolished()
    assert window.loading.alignment() == Qt.AlignmentFlag.AlignCenter
    window.show_startup_error("The data folder cannot be read.")
    assert window.loading.alignment() == Qt.AlignmentFlag.AlignCenter


def test_the_launchers_application_is_in_fusion_from_its_start(tmp_path):
    """The theme no longer sets Fusion on the launcher's application (that built QStyle before the
    first paint): it starts in Fusion by its arguments, even where the environment asks for another."""
    code = "from pos.ui import theme; print(theme.start_application(['pos']).style().name())"
    env = {**env_for(tmp_path), "QT_STYLE_OVERRIDE": "windows"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert done.stdout.strip() == "fusion", done.stderr[-2000:]

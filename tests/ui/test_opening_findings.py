"""The window closed while the till opens (hostile pass g2, issue 27 item 3's lazy start): the frame
paints first and the till opens on a worker after it, so a close (its close button, SIGTERM) can come
before the till is attached. A real window, the launcher's real start_context and build_context on a
real till folder."""

from __future__ import annotations

from pos.launch import finish_opening, start_context
from pos.ui import workers
from pos.ui.main_window import MainWindow

from .test_launch_sigterm import _sessions


def closed_while_opening(qtbot, data_dir, sandbox) -> MainWindow:
    window = MainWindow()
    window.show()
    qtbot.waitExposed(window)
    start_context(window, data_dir, sandbox.url, None)
    window.close()  # as SIGTERM's handler or the close button does, while the till opens
    return window


def test_finding_a_window_closed_while_the_till_opens_closes_what_opened(qtbot, data_dir, sandbox):
    """The till that finished opening after its window closed was attached to the closed window (its
    rounds, recovery and staff checks started on it) and its session stayed in the file: in the real
    process the app had quit, so the next start found an unclean end and read the whole file."""
    window = closed_while_opening(qtbot, data_dir, sandbox)
    try:
        qtbot.waitUntil(lambda: workers.busy_count() == 0, timeout=30000)
        assert window.context is None  # not wired to a closed window
        assert _sessions(data_dir) == 0  # the till's session ended, as the window's own close ends it
    finally:
        if window.context is not None:
            window.context.close()


def test_finding_the_launcher_waits_for_a_till_still_opening_when_its_loop_ends(qtbot, qapp, data_dir, sandbox):
    """run_gui's loop ends with the last window closed, before the opening's answer arrives: the
    launcher waits for it and delivers it, so its session is closed rather than left (and the answer
    no longer goes to a deleted signal: 'RuntimeError: Signal source has been deleted')."""
    window = closed_while_opening(qtbot, data_dir, sandbox)
    finish_opening(qapp, window)  # what run_gui does once app.exec() returns
    assert workers.busy_count() == 0 and window.context is None
    assert _sessions(data_dir) == 0

"""The Qt binding the till runs on keeps Python's reference counts (decision 0011).

PySide6 6.12.0 under Python 3.11 dropped one reference to None per void Qt call; the till aborted
("none_dealloc") after about 1,500 scans. This test is what keeps such a release out.
"""

from __future__ import annotations

import sys

import pytest
from PySide6.QtWidgets import QLabel


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12: no count to lose")
def test_a_thousand_void_qt_calls_keep_the_references_to_none(qtbot):
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for n in range(1000):
        label.setText(str(n))
        label.setToolTip("x")
    # Other code may take or drop a few references meanwhile; a leak per call loses thousands.
    assert sys.getrefcount(None) > before - 100

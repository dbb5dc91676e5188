"""The window's options are read without the commands' parsers (issue 27: the first paint waits for
nothing it does not need), and read exactly as the full parser reads them."""

from __future__ import annotations

import pytest

from pos.cli import build_parser
from pos.window_cli import window_args


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--startup-probe"],
        ["--data-dir", "/tmp/till", "--profile", "front", "--shop-db", "postgresql://pos@shop/shop"],
        ["--data", "/tmp/till"],  # an abbreviation, as argparse allows
        ["--stripe-base-url=http://127.0.0.1:12111", "--as", "Ann"],
    ],
)
def test_the_window_options_read_as_the_full_parser_reads_them(argv):
    quick = window_args(argv)
    assert quick is not None
    assert vars(quick) == vars(build_parser().parse_args(argv))


@pytest.mark.parametrize(
    "argv",
    [
        ["catalog", "export", "-"],
        ["--data-dir", "/tmp/till", "receipts", "export", "out.csv"],
        ["--help"],
        ["-h"],
        ["--version"],
        ["--no-such-option"],
        ["--data-dir"],  # a value missing: the full parser says so
    ],
)
def test_anything_else_goes_to_the_full_parser(argv):
    assert window_args(argv) is None

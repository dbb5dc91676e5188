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
        ["--profile=", "--data-dir=", "--startup-probe", "--startup-probe"],  # empty values, a flag twice
        ["--profile", "a", "--profile", "b"],  # the last one stands
        ["--shop-db", "postgresql://pos@shop/shop?x=1", "--as=Ann=B"],  # '=' inside a value
        ["--profile", "-1"],  # a value that looks like an option: argparse's own reading
        ["--startup"],  # an abbreviation of the flag
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
        ["--startup-probe=yes"],  # a flag takes no value
        ["--profile", "--data-dir", "x"],  # a value missing, the next option in its place
        ["--DATA-DIR", "x"],
        ["--", "--startup-probe"],
    ],
)
def test_anything_else_goes_to_the_full_parser(argv):
    assert window_args(argv) is None


def test_the_usual_spellings_are_read_without_argparse():
    """Importing argparse and building even the window's parser costs ~3 ms of CPU before the first
    paint (issue 27 item 3): the options as the launcher and the docs spell them do without it."""
    import subprocess
    import sys

    code = (
        "import sys; from pos.window_cli import window_args;"
        "args = window_args(['--data-dir', '/tmp/till', '--profile=front', '--startup-probe']);"
        "print(args.data_dir, args.profile, args.startup_probe, 'argparse' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["/tmp/till", "front", "True", "False"]

"""The window's own command line: its options, read without the commands' module.

`pos` with no command opens the window. Reading its few options here, before anything else, keeps
`pos.cli` (the commands' ~45 parsers, their handlers, csv and json) out of the window's start: the
first paint waits for none of it (issue 27 item 3). Anything else (a command, --help, a mistake, a
window given --as) goes to `pos.cli.main`, which reads it with the full parser as it always has.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def window_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options before a command: all that the window itself takes."""
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="folder for the till's database (default: the OS app-data folder, or $POS_DATA_DIR)",
    )
    parser.add_argument("--stripe-base-url", help="point the Stripe client at this Stripe-compatible server")
    parser.add_argument("--startup-probe", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--profile", help="till profile: which keyring entry holds the key (default: $POS_PROFILE or 'default')"
    )
    parser.add_argument(
        "--shop-db",
        help="the shop's PostgreSQL, shared by its tills: postgresql://user@host/shop (default: $POS_SHOP_DB; "
        "the password from `pos shop set-password` or ~/.pgpass, never here)",
    )
    parser.add_argument(
        "--as",
        dest="as_name",
        metavar="NAME",
        help="once the till has cashiers, a command that changes something runs as this person: their PIN "
        "is the first line of standard input, and they need the same right as in the window (a command "
        "that only reads takes no --as)",
    )
    return parser


class _NotTheWindow(Exception):
    pass


class _WindowOnly(argparse.ArgumentParser):
    def error(self, message):
        raise _NotTheWindow(message)


def window_args(argv: list[str]) -> argparse.Namespace | None:
    """The window's options, read without building the commands' ~45 parsers (~15 ms before the first
    paint, issue 27); None when argv is anything else (a command, --help, a mistake), for the full
    parser to read and answer as it always has."""
    try:
        args, rest = window_options(_WindowOnly(prog="pos", add_help=False)).parse_known_args(argv)
    except _NotTheWindow:
        return None
    if rest:
        return None
    args.command = None
    return args


def run_window(args: argparse.Namespace) -> int:
    """Open the window with the options window_args read."""
    from pos.launch import run_gui
    from pos.paths import default_data_dir

    return run_gui(
        args.data_dir or default_data_dir(),
        shop_db=args.shop_db,
        stripe_base_url=args.stripe_base_url,
        profile=args.profile,
        startup_probe=args.startup_probe,
    )

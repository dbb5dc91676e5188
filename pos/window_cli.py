"""The window's own command line: its options, read without the commands' module.

`pos` with no command opens the window. Reading its few options here, before anything else, keeps
`pos.cli` (the commands' ~45 parsers, their handlers, csv and json) out of the window's start: the
first paint waits for none of it (issue 27 item 3). Anything else (a command, --help, a mistake, a
window given --as) goes to `pos.cli.main`, which reads it with the full parser as it always has.

The options in their usual spellings (`--name value`, `--name=value`, the flag) are read without
argparse at all: importing it and building even this small parser costs ~3 ms of CPU, a few per cent
of a bare PySide6 window's start. Any other spelling (an abbreviation, a value that looks like an
option, `--`) is read by argparse, with the same parser the full command line is built on.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse


def name_argument(given: str) -> str:
    """A file or folder named on the command line, as typed; refused (argparse's one line, exit 2) if
    it holds a control character: a NUL cannot be in a name (the open failed "unexpectedly"), and an
    ESC would reach the terminal in every line that names the file. The rule text doors have."""
    control = _control_in(given)
    if control is not None:
        import argparse

        raise argparse.ArgumentTypeError(f"a file or folder name holds a control character ({control})")
    return given


def _control_in(given: str) -> str | None:
    """The first control character in `given`, named (domain/text), or None."""
    from pos.domain.text import describe, first_control

    char = first_control(given)
    return None if char is None else describe(char)


def path_argument(given: str) -> Path:
    return Path(name_argument(given))


def window_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options before a command: all that the window itself takes."""
    import argparse

    parser.add_argument(
        "--data-dir",
        type=path_argument,
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


# The window's options as window_options names them: the flag, and those that take a value.
_FLAG = "--startup-probe"
_VALUED = {
    "--data-dir": "data_dir",
    "--stripe-base-url": "stripe_base_url",
    "--profile": "profile",
    "--shop-db": "shop_db",
    "--as": "as_name",
}


def _plainly_spelled(argv: list[str]) -> SimpleNamespace | None:
    """argv read as window_options reads it, when every word is an option's full name (or name=value)
    followed by its value; None for anything else."""
    values: dict[str, object] = {dest: None for dest in _VALUED.values()}
    values["startup_probe"] = False
    words = iter(argv)
    for word in words:
        if word == _FLAG:
            values["startup_probe"] = True
            continue
        name, equals, inline = word.partition("=")
        if name not in _VALUED:
            return None
        value = inline if equals else next(words, None)
        if value is None or (not equals and value.startswith("-")):  # argparse reads these its own way
            return None
        values[_VALUED[name]] = value
    if values["data_dir"] is not None:
        if _control_in(str(values["data_dir"])) is not None:
            return None  # refused: the full parser says why, in its one line
        values["data_dir"] = Path(str(values["data_dir"]))
    return SimpleNamespace(**values, command=None)


def window_args(argv: list[str]) -> argparse.Namespace | SimpleNamespace | None:
    """The window's options, read without building the commands' ~45 parsers (~15 ms before the first
    paint, issue 27); None when argv is anything else (a command, --help, a mistake), for the full
    parser to read and answer as it always has."""
    plain = _plainly_spelled(argv)
    if plain is not None:
        return plain
    import argparse

    class WindowOnly(argparse.ArgumentParser):
        def error(self, message):
            raise _NotTheWindow(message)

    try:
        args, rest = window_options(WindowOnly(prog="pos", add_help=False)).parse_known_args(argv)
    except _NotTheWindow:
        return None
    if rest:
        return None
    args.command = None
    return args


def run_window(args: argparse.Namespace | SimpleNamespace) -> int:
    """Open the window with the options window_args read."""
    import sys

    from pos.launch import run_gui
    from pos.paths import data_dir_env_refused, default_data_dir

    if args.data_dir is None and (refused := data_dir_env_refused()) is not None:
        print(f"pos: error: {refused}", file=sys.stderr)  # as argparse says a --data-dir it refuses
        return 2
    return run_gui(
        args.data_dir or default_data_dir(),
        shop_db=args.shop_db,
        stripe_base_url=args.stripe_base_url,
        profile=args.profile,
        startup_probe=args.startup_probe,
    )

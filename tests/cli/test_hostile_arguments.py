"""Every `pos` subcommand given hostile values in each of its arguments (issue 27, tenth session, h5
item 4): never a traceback, never "failed unexpectedly", never a control character echoed to the
terminal, exit 0, 1 or 2. The commands are read from the CLI's own parser, so a new one is swept too.

Before: a file name holding a NUL (`catalog export`, `receipts export --output`, `audit export
--output`, `shop set-ca`, `--data-dir`) "failed unexpectedly (ValueError)"; one holding an ESC was
echoed raw ("no such file: a␛[31m…": the terminal takes it as a command), as was a cashier's name
(`cashiers disable` / `set-pin`: "There is no cashier called a␛[31m…"). Real data folder, `pos`
through the CLI's own main(); nothing mocked. Left out: what reaches Stripe or the shop's server, or
runs a sale (`self-test`, `doctor`, `sync`, `config set-key`, `shop set-password`), and options with
fixed choices (argparse's own refusal)."""

from __future__ import annotations

import argparse

import pytest

from pos.app import open_back_office
from pos.cli import build_parser
from pos.domain.money import Money
from tests.helpers import cli as cli_helper
from tests.helpers.cli import run_pos

HOSTILE = (
    "",
    " ",
    "-5",
    "0",
    "99999999999999999999999999",
    "1e400",
    "A" * 20_000,
    "a\x1b[31mb\x00c",
    "a\x1b[31mb",
    "\u202e\u200b",
    "nan",
    "/dev/null",
    "2026-02-30",
)
LEFT_OUT = {("self-test",), ("doctor",), ("sync",), ("config", "set-key"), ("shop", "set-password")}


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
        return
    for name, sub in subs[0].choices.items():
        yield from _commands(sub, (*path, name))


def _swept():
    return [(path, parser) for path, parser in _commands(build_parser()) if path and path not in LEFT_OUT]


def _argument_lists(parser: argparse.ArgumentParser, value: str):
    """The command's arguments with `value` in each in turn (the others plain: "x", "1" for a required
    option, and the first flag of a group that needs one, `returns take --cash`)."""
    helps = (argparse._HelpAction, argparse._VersionAction)
    positional = [a for a in parser._actions if not a.option_strings and not isinstance(a, helps)]
    options = [a for a in parser._actions if a.option_strings and a.nargs != 0 and a.choices is None]
    options = [a for a in options if not isinstance(a, helps)]
    required = {a.option_strings[-1]: "1" for a in options if a.required}
    flags = [g._group_actions[0].option_strings[-1] for g in parser._mutually_exclusive_groups if g.required]
    for slot in range(len(positional)):
        words = ["x" if n != slot else value for n in range(len(positional))]
        yield words + [f"{k}={v}" for k, v in required.items()] + flags
    for option in options:
        given = {**required, option.option_strings[-1]: value}  # name=value: "-5" reaches the command
        yield ["x"] * len(positional) + [f"{k}={v}" for k, v in given.items()] + flags


@pytest.fixture(scope="module")
def till(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile") / "till"
    office = open_back_office(folder)
    try:
        office.gift_cards.issue(Money(500, office.settings.currency), "one card")
    finally:
        office.close()
    return folder


@pytest.mark.parametrize("command", [" ".join(path) for path, _parser in _swept()])
def test_every_command_takes_hostile_arguments_in_one_line(till, command, tmp_path, monkeypatch):
    parser = dict((" ".join(path), parser) for path, parser in _swept())[command]
    # A value is also a file name (`catalog export 0`, `--output nan`) and `--data-dir ""` the working
    # folder: run_pos works in the repository's, so each run here works in the test's own.
    monkeypatch.setattr(cli_helper, "ROOT", tmp_path)
    for value in HOSTILE:
        for arguments in _argument_lists(parser, value):
            done = run_pos(["--data-dir", till, *command.split(), *arguments], stdin="")
            said = done.stdout + done.stderr
            assert done.returncode in (0, 1, 2), (arguments, done.returncode, done.stderr[-300:])
            assert "Traceback" not in said and "unexpectedly" not in said, (arguments, done.stderr[-300:])
            assert "\x1b" not in said and "\x00" not in said, (arguments, done.stderr[-300:])


@pytest.mark.parametrize("value", ["a\x00b", "a\x1b[31mb"])
def test_a_data_folder_named_with_a_control_character_is_refused_in_argparses_line(tmp_path, value, monkeypatch):
    monkeypatch.setattr(cli_helper, "ROOT", tmp_path)  # were it not refused, the folder would be made here
    for argv in (["--data-dir", value, "report", "--date", "2026-12-01"], [f"--data-dir={value}"]):
        done = run_pos(argv)
        assert done.returncode == 2, done.stderr
        named = "NUL" if "\x00" in value else "ESC"
        assert done.stderr.strip().splitlines()[-1].endswith(f"holds a control character ({named})"), done.stderr
        assert "\x1b" not in done.stderr and "\x00" not in done.stderr

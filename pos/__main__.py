"""`pos` and `python -m pos`: the till, and its command line."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from pos.window_cli import run_window, window_args

    # The window (no command) starts without pos.cli: the commands' parsers and handlers load only
    # for a command (issue 27 item 3: the first paint waits for nothing it does not need).
    args = window_args(argv)
    if args is not None and not args.as_name:
        return run_window(args)
    from pos.cli import main as cli_main

    return cli_main(argv, window_read=True)


if __name__ == "__main__":
    sys.exit(main())

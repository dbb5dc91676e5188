"""`pos` on the command line for the tests, run one of two ways:

- `run_pos` (the default): in this process, through the same `pos.cli.main` that `python -m pos`
  calls, with the environment, standard input, output and exit code of a run of its own. A new
  Python process pays its start and the app's imports (SQLAlchemy, SQLModel, Alembic, stripe:
  about a second of CPU) before doing anything; most command-line tests are about what a command
  says and what it leaves in the data folder, not about the process.
- `run_process`: `python -m pos` as a real process. run_pos takes it by itself for a crash point
  (POS_CRASH_AT kills the process), and the tests about the process as such (the entry point, a
  traceback never reaching the terminal) call it directly.

Both return a subprocess.CompletedProcess, so a test reads either the same way.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_ONE_AT_A_TIME = threading.Lock()  # the environment, the working folder and sys.std* are the process's


def run_process(args, env: Mapping[str, str] | None = None, stdin: str | None = None, timeout: float = 300):
    """`python -m pos ARGS…` as its own process; env is added to this process's environment."""
    return subprocess.run(
        [sys.executable, "-m", "pos", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        input=stdin,
        timeout=timeout,
        cwd=ROOT,
    )


def run_pos(args, env: Mapping[str, str] | None = None, stdin: str | None = None, timeout: float = 300):
    """`pos ARGS…` in this process (see the module's docstring); env is added to the environment
    for the run, and taken away after it."""
    if "POS_CRASH_AT" in (env or {}):
        return run_process(args, env, stdin, timeout)  # the crash point kills the process it runs in
    args = [str(arg) for arg in args]
    out, err = io.StringIO(), io.StringIO()
    with _ONE_AT_A_TIME, _as_own_run(env or {}, stdin or "", out, err):
        from pos.cli import main

        try:
            code = main(args)
        except SystemExit as exc:  # argparse's usage errors, as the process would end
            code = _exit_code(exc, err)
        except Exception:  # noqa: BLE001 - what a process would print on its way out, for the test to see
            traceback.print_exc(file=err)
            code = 1
    # As subprocess.run(text=True) reads a process's output: universal newlines (the CSV writer's \r\n).
    return subprocess.CompletedProcess(["pos", *args], code, _universal(out.getvalue()), _universal(err.getvalue()))


def _exit_code(exc: SystemExit, err: io.StringIO) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=err)
    return 1


def _universal(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


@contextlib.contextmanager
def _as_own_run(env: Mapping[str, str], stdin: str, out: io.StringIO, err: io.StringIO) -> Iterator[None]:
    """The process-wide state a run of `pos` sets or reads, set for the run and put back after it:
    the environment, the working folder, standard streams, and the logging the CLI configures
    (cli._quiet_logging adds a root handler and levels that would otherwise outlive the run)."""
    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    saved_stripe_level = logging.getLogger("stripe").level
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    os.environ.update(env)
    os.chdir(ROOT)
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin), out, err
    try:
        yield
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        logging.getLogger("stripe").setLevel(saved_stripe_level)
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)

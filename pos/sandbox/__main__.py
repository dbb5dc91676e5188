"""`python -m pos.sandbox [--host 127.0.0.1] [--port 0] [--db PATH] [--api-version V] [--search-lag S]`"""

from __future__ import annotations

import argparse
import signal
import sys

from . import API_VERSION, Sandbox
from .errors import StripeError
from .versions import parse as parse_version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pos.sandbox", description="Stripe test-mode sandbox on a loopback port."
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port, 0 for any free one (default 0)")
    parser.add_argument("--db", help="SQLite file that keeps state across restarts (default: memory)")
    parser.add_argument(
        "--api-version",
        default=API_VERSION,
        help=f"the account's default Stripe API version, used when a request sends no "
        f"Stripe-Version header (default {API_VERSION}, the pinned SDK's)",
    )
    parser.add_argument(
        "--search-lag",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="new and changed objects reach search only after this delay (default 0)",
    )
    args = parser.parse_args(argv)
    try:
        parse_version(args.api_version)
    except StripeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.search_lag < 0:
        print("error: --search-lag must be zero or more seconds", file=sys.stderr)
        return 2
    try:
        sandbox = Sandbox(args.host, args.port, args.db, api_version=args.api_version, search_lag=args.search_lag)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    def stop(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    # Taken explicitly: a process started as a background job of a script (`cmd &`) inherits SIGINT
    # ignored, and Python then leaves it ignored, so Ctrl-C or `kill -INT` never stopped the sandbox.
    signal.signal(signal.SIGINT, stop)
    try:
        # Inside the try: a signal sent as soon as this line is read lands before serve_forever, and an
        # uncaught KeyboardInterrupt there ended the process by SIGINT (-2) instead of a clean exit 0.
        print(f"listening on {sandbox.url}", flush=True)
        sandbox.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

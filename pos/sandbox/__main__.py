"""`python -m pos.sandbox [--host 127.0.0.1] [--port 0] [--db PATH]`"""

from __future__ import annotations

import argparse
import signal
import sys

from . import Sandbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pos.sandbox",
                                     description="Stripe test-mode sandbox on a loopback port.")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port, 0 for any free one (default 0)")
    parser.add_argument("--db", help="SQLite file that keeps state across restarts (default: memory)")
    args = parser.parse_args(argv)
    try:
        sandbox = Sandbox(args.host, args.port, args.db)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    def stop(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"listening on {sandbox.url}", flush=True)
    try:
        sandbox.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

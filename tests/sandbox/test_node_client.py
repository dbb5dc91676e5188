"""A second official client: stripe-node drives the sandbox (tests/node/drive.js).

The library is the `stripe` npm package pinned in tests/node/package-lock.json (installed by
`scripts/setup --test` with `npm ci`), pointed at the session's sandbox with its own `host`,
`port` and `protocol` options. It runs at the library's default API version (newer than the
Python package's: the sandbox must serve a monthly version it has no table entry for) and at
the Python package's.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from stripe._api_version import _ApiVersion

NODE_DIR = Path(__file__).resolve().parents[1] / "node"


def _drive(sandbox, api_key: str, version: str | None) -> dict:
    node = shutil.which("node")
    assert node, "node is missing: run scripts/setup --test (Debian's nodejs and npm)"
    assert (NODE_DIR / "node_modules" / "stripe").is_dir(), "run scripts/setup --test (npm ci in tests/node)"
    args = [node, str(NODE_DIR / "drive.js"), sandbox.url, api_key, *([version] if version else [])]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("version", [None, _ApiVersion.CURRENT], ids=["library-default", "python-package"])
def test_stripe_node_drives_every_flow(sandbox, api_key, version):
    seen = _drive(sandbox, api_key, version)
    assert seen["library_version"].startswith("23.")
    # The sandbox answers at the version the library sent, named as sent.
    assert seen["answered_version"] == (version or seen["default_version"])
    if version is None:
        assert seen["default_version"] > _ApiVersion.CURRENT  # a version the old closed table refused
    assert seen["created"] == {"status": "requires_payment_method", "amount": 1250}
    assert seen["confirmed"]["status"] == "succeeded" and seen["confirmed"]["brand"] == "visa"
    assert seen["confirmed"]["hooks_absent"]  # optional and unset: left out, as Stripe does
    assert seen["decline"] == {
        "class": "StripeCardError",
        "code": "card_declined",
        "decline_code": "insufficient_funds",
        "status": 402,
    }
    assert seen["replay"] == {"same": True, "replayed": "true"}
    assert seen["mismatch"]["class"] == "StripeIdempotencyError" and seen["mismatch"]["status"] == 400
    assert seen["refund"] == {"status": "succeeded", "amount": 250, "description_absent": True}
    assert seen["list"] == {"page": 2, "has_more": True, "all": 6, "distinct": 6}
    assert seen["search"] == {"object": "search_result", "url": "/v1/payment_intents/search", "page": 2, "all": 4}
    assert seen["process"] == {"type": "process_payment_intent", "status": "in_progress", "siblings_absent": True}
    present = seen["present"]
    assert present["action"] == "succeeded" and present["intent"] == "succeeded"
    assert present["read_method"] == "contactless_emv"
    assert present["aid"].startswith("A0000000") and len(present["authorization_code"]) == 6

"""The till's own wiring on a fresh data folder (real SQLite, the sandbox for Stripe)."""

from __future__ import annotations

import pytest

from pos.app import build_context


@pytest.fixture
def context(tmp_path, sandbox, api_key, monkeypatch):
    monkeypatch.setenv("POS_STRIPE_API_KEY", api_key)
    context = build_context(tmp_path / "till", stripe_base_url=sandbox.url)
    try:
        yield context
    finally:
        context.close()

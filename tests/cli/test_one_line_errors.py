"""The command line fails with one line: any error the till refuses with says why, in its own words."""

from __future__ import annotations

import pytest

from pos import cli
from pos.services.checkout import CheckoutError
from pos.services.keys import KeyStoreUnavailable
from pos.services.readers import ReaderError
from pos.services.sales import SaleChanged, StorageError
from pos.services.shop import ShopRefused


@pytest.mark.parametrize(
    "error",
    [
        ReaderError("The card reader is offline"),
        CheckoutError("The cart is empty."),
        SaleChanged("This sale was paid meanwhile."),
        KeyStoreUnavailable("No keyring is running: install gnome-keyring."),
        StorageError("The till's disk is full, so it cannot save. Free some space; nothing is lost."),
        ShopRefused("Till id T1 is taken by another till"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_refusal_that_reaches_the_top_is_said_in_one_line(capsys, error):
    assert cli._one_line_failure(error) == 1
    err = capsys.readouterr().err
    assert err == f"error: {str(error).rstrip('.')}.\n"


def test_a_bug_still_says_only_that_it_failed(capsys):
    assert cli._one_line_failure(KeyError("sk_test_secret")) == 1
    err = capsys.readouterr().err
    assert "sk_test_secret" not in err and "failed unexpectedly (KeyError)" in err

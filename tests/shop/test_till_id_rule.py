"""The till-id rule, once, in the settings service (issue 24 item 1): `Settings.check_till_id` is what
the Settings dialog and `pos settings set` both ask. Real: two tills on one shop database (SQLite, which
the shop adapter supports), the sandbox over HTTP."""

from __future__ import annotations

import pytest

from pos.services.settings import SettingsError
from tests.helpers.shop import till


def test_a_till_id_another_till_has_is_refused_in_the_owners_words(tmp_path, sandbox, api_key):
    shop_db = f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    first = till(tmp_path, "T1", sandbox, api_key, shop_db)
    second = till(tmp_path, "T2", sandbox, api_key, shop_db)
    try:
        assert first.shop.round().complete and second.shop.round().complete
        rule = second.store_settings
        with pytest.raises(SettingsError, match="already used by another till"):
            rule.check_till_id(second.shop, " T1 ")
        assert rule.check_till_id(second.shop, "T3") == ""  # free: nothing to add
        assert rule.check_till_id(None, "T1") == ""  # a single till: nothing to ask
    finally:
        first.close()
        second.close()

"""One base for every error the till shows a person (pos/domain/errors.py `PosError`)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import pos.domain
import pos.services
from pos.domain.errors import PosError
from pos.services.gateway import GatewayError
from pos.services.sales import JournalIntegrityError

# Outside on purpose (see pos/domain/errors.py): the provider's words, and "a person must look".
OUTSIDE = (GatewayError, JournalIntegrityError)


def _errors():
    for package in (pos.domain, pos.services):
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                if inspect.isclass(value) and issubclass(value, Exception) and value.__module__ == info.name:
                    yield pytest.param(value, id=f"{info.name}.{name}")


@pytest.mark.parametrize("error", list(_errors()))
def test_every_domain_and_service_error_derives_from_the_one_base(error):
    assert issubclass(error, PosError) != issubclass(error, OUTSIDE), error.__mro__


def test_a_rule_broken_is_still_a_value_error():
    # Callers that catch ValueError for a bad value typed in (the CLI's parsers) keep working.
    from pos.domain.money import Money, MoneyError

    with pytest.raises(ValueError) as caught:
        Money.parse("1.2.3", "EUR")
    assert isinstance(caught.value, MoneyError) and isinstance(caught.value, PosError)

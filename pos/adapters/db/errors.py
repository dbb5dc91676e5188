"""Storage failures in words a cashier can act on."""

from __future__ import annotations

import contextlib
import sqlite3  # its errors, raised where SQLAlchemy does not wrap them, get a cashier's message too

from sqlalchemy.exc import DBAPIError, OperationalError

from pos.services.storage_error import StorageError

__all__ = ["StorageError", "StorageUnavailable", "describe", "storage_errors"]


class StorageUnavailable(StorageError):
    """The till's data folder or database cannot be used at all; the message says what to do."""


def is_damage(text: str) -> bool:
    """Whether SQLite's error says the file itself is damaged (no retry mends it)."""
    text = text.lower()
    return "malformed" in text or "not a database" in text or "corrupt" in text


def describe(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", exc)).lower()
    if is_damage(text):
        # A page gone bad that the start did not read (a clean close: header only) met by a save
        # before the background check: trying again never mends it.
        return (
            "The till's database is damaged. Finish what is in progress on paper, then stop taking payments "
            "on this till: restore the last backup of the whole data folder, or call support."
        )
    if "full" in text or "no space" in text or "file too large" in text or "disk i/o" in text:
        return "The till's disk is full, so it cannot save. Free some space; nothing is lost."
    if "unable to open" in text:
        return (
            "The till cannot open its database for writing: the data folder may be read-only, "
            "missing, or on a drive that was disconnected."
        )
    if "readonly" in text or "read-only" in text:
        return "The till's database is read-only, so it cannot save. Check the data folder's permissions."
    if "locked" in text or "busy" in text:
        return "The till's database is busy (another program holds it). Try again in a moment."
    return "The till could not save to its database. Try again; if it keeps failing, call support."


@contextlib.contextmanager
def storage_errors():
    """Turn SQLite failures into StorageError with a cashier's message."""
    try:
        yield
    except (OperationalError, DBAPIError, sqlite3.Error) as exc:
        if isinstance(exc, DBAPIError) and type(exc.orig).__module__.startswith("psycopg"):
            raise  # the shop's PostgreSQL failing is not this till's disk (adapters/shop/connect.shop_errors)
        raise StorageError(describe(exc)) from exc
    except OSError as exc:  # e.g. RLIMIT_FSIZE's EFBIG surfaces as OSError in some paths
        raise StorageError(describe(exc)) from exc

"""Core statements compiled once for SQLite and run on the driver's cursor of a SQLAlchemy
connection, inside its transaction (decision 0010's addendum; issue 27).

A statement run through `Connection.execute` costs ~40 us of SQLAlchemy's machinery each time
(events, the compiled cache's key, parameter processing, result metadata): on a card sale's ~20
statements that is more than the till's whole budget beyond Stripe. The statements here are still
built from schema.py's tables, compiled by SQLAlchemy once at import; `tests/services/
test_compiled_statements.py` holds each one's text and parameters to what `Connection.execute`
would send, so a schema change cannot make them diverge.

Errors: a driver error is raised as SQLAlchemy would raise it (`DBAPIError.instance`: the same
IntegrityError, OperationalError...), so `errors.storage_errors` maps it to the cashier's words
exactly as before. Used on the payment path only; everything else goes through `Connection.execute`.
"""

from __future__ import annotations

import sqlite3  # the driver's cursor and errors, under a Core connection's transaction (see above)
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, InvalidRequestError, StatementError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.dml import Insert

_DIALECT = sqlite.dialect()


class Compiled(NamedTuple):
    """A Core statement compiled once for SQLite: its SQL, the values it binds itself (literals, and
    an insert's scalar column defaults for columns its parameters do not name), the order its `?`
    take their values in, and its result columns' names and converters (None: taken as the driver
    gives it, as SQLAlchemy takes a whole number or text on SQLite)."""

    sql: str
    binds: dict[str, Any]
    order: tuple[str, ...]
    names: tuple[str, ...]
    convert: tuple[Callable[[Any], Any] | None, ...]


def compiled(statement: ClauseElement, keys: Iterable[str] | None = None) -> Compiled:
    """`keys`: for an INSERT or UPDATE, the parameters it is run with (its columns; SQLAlchemy
    compiles such a statement for the keys it is given)."""
    given = list(keys) if keys is not None else None
    done = statement.compile(dialect=_DIALECT, column_keys=given)
    # Only the values the statement holds itself: a parameter it must be given (a bindparam without
    # a value, a column to write) is left out, so a run without it is refused as Core refuses it
    # (`_values`), not sent as NULL (an UPDATE ... WHERE id = NULL changes nothing, silently).
    bound = done.binds  # type: ignore[attr-defined]  # an SQLCompiler's: every bindparam by name
    binds = {name: value for name, value in done.params.items() if not bound[name].required}
    if isinstance(statement, Insert) and given is not None:
        for column in statement.table.columns:
            default = column.default
            if column.key not in given and default is not None and default.is_scalar:
                binds[column.key] = default.arg  # type: ignore[attr-defined]  # a ScalarElementColumnDefault
    result = getattr(done, "_result_columns", None) or []
    names = tuple(entry[0] for entry in result)
    convert = tuple(entry[3].result_processor(_DIALECT, None) for entry in result)
    order = tuple(getattr(done, "positiontup", None) or ())  # SQLite's `?` style: positional
    return Compiled(str(done), binds, order, names, convert)


class Statement:
    """A Core statement, compiled once for each set of parameter names it is run with (as SQLAlchemy
    compiles an INSERT or UPDATE for the keys it is given): a dict look-up per run, not a compile."""

    def __init__(self, statement: ClauseElement):
        self.statement = statement
        self._by_keys: dict[tuple[str, ...], Compiled] = {}

    def of(self, values: Mapping[str, Any]) -> Compiled:
        keys = tuple(values)
        found = self._by_keys.get(keys)
        if found is None:
            found = self._by_keys[keys] = compiled(self.statement, keys)
        return found


def _driver_cursor(conn: Connection) -> sqlite3.Cursor:
    if not conn.in_transaction():
        conn.begin()  # as Connection.execute would (its autobegin): the statement runs in a transaction
    return conn.connection.driver_connection.cursor()  # type: ignore[union-attr]  # sqlite3, in this transaction


def _values(statement: Compiled, values: Mapping[str, Any], group: int | None = None) -> list[Any]:
    given = {**statement.binds, **values}
    try:
        return [given[name] for name in statement.order]
    except KeyError as missing:
        raise _required(statement, missing.args[0], group) from None


def _required(statement: Compiled, name: str, group: int | None) -> StatementError:
    """A parameter the statement needs and was not given, refused with Core's error (StatementError
    from InvalidRequestError, its parameters hidden): a caller's mistake, not the disk's."""
    where = "" if group is None else f", in parameter group {group}"
    why = InvalidRequestError(f"A value is required for bind parameter {name!r}{where}", code="cd3x")
    return StatementError(str(why), statement.sql, None, why, hide_parameters=True, code="cd3x")


def _wrapped(statement: Compiled, params: Any, exc: sqlite3.Error) -> StatementError:
    """The driver's error as SQLAlchemy raises it from Connection.execute (its parameters hidden)."""
    return DBAPIError.instance(statement.sql, params, exc, sqlite3.Error, hide_parameters=True, dialect=_DIALECT)


def run(conn: Connection, statement: Statement | Compiled, values: Mapping[str, Any]) -> sqlite3.Cursor:
    """Run one statement in `conn`'s transaction; the cursor (its lastrowid, its rows) is the caller's."""
    if isinstance(statement, Statement):
        statement = statement.of(values)
    params = _values(statement, values)
    cursor = _driver_cursor(conn)
    try:
        return cursor.execute(statement.sql, params)
    except sqlite3.Error as exc:
        cursor.close()
        raise _wrapped(statement, params, exc) from exc


def execute(conn: Connection, statement: Statement, values: Mapping[str, Any]) -> int:
    """Run one statement that returns no rows; the rows it changed."""
    cursor = run(conn, statement, values)
    try:
        return cursor.rowcount
    finally:
        cursor.close()


def run_many(conn: Connection, statement: Statement, rows: Sequence[Mapping[str, Any]]) -> None:
    """One statement for each of `rows` (the driver's executemany, as Connection.execute runs a list;
    every row names the same parameters), in `conn`'s transaction. Nothing runs for no rows."""
    if not rows:
        return
    compiled_ = statement.of(rows[0])
    params = [_values(compiled_, row, n) for n, row in enumerate(rows)]
    cursor = _driver_cursor(conn)
    try:
        cursor.executemany(compiled_.sql, params)
    except sqlite3.Error as exc:
        raise _wrapped(compiled_, params, exc) from exc
    finally:
        cursor.close()


def _mapping(statement: Compiled, row: tuple[Any, ...]) -> dict[str, Any]:
    return {
        name: value if convert is None else convert(value)
        for name, value, convert in zip(statement.names, row, statement.convert, strict=True)
    }


def rows(conn: Connection, statement: Statement | Compiled, **values: Any) -> list[tuple[Any, ...]]:
    """Every row, as plain tuples (for statements whose columns need no conversion)."""
    cursor = run(conn, statement, values)
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


def mappings(conn: Connection, statement: Statement, values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every row by column name, each value as SQLAlchemy's result would give it (an INSERT's or
    UPDATE's RETURNING rows too)."""
    done = statement.of(values)
    cursor = run(conn, done, values)
    try:
        return [_mapping(done, row) for row in cursor.fetchall()]
    finally:
        cursor.close()


def first(conn: Connection, statement: Statement, values: Mapping[str, Any]) -> dict[str, Any] | None:
    found = mappings(conn, statement, values)
    return found[0] if found else None


def scalar(conn: Connection, statement: Statement, values: Mapping[str, Any] | None = None) -> Any:
    """The first column of the first row (None if no row), for a column that needs no conversion."""
    found = rows(conn, statement, **(values or {}))
    return found[0][0] if found else None


def lastrowid(conn: Connection, statement: Statement, values: Mapping[str, Any]) -> int:
    """An INSERT's new row id."""
    cursor = run(conn, statement, values)
    try:
        return int(cursor.lastrowid)  # type: ignore[arg-type]
    finally:
        cursor.close()

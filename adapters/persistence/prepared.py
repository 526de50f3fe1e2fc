"""The worker's hot statements, compiled once and run on the driver's own cursor.

Measured on the bench mix (README, Performance): a prebuilt Core statement still costs 20-25 µs
of CPU in SQLAlchemy's execute path (events, parameter and result set-up) around 2-6 µs in
SQLite's driver, and processing runs about 11 of them a message, most of its SQL time; on
PostgreSQL (psycopg) the same path left processing at 2.8 ms of user CPU a message against
SQLite's 1.3 with the engine's own work included. Here the SQL and the bind processors come
from SQLAlchemy's own compiler, so the text and the bound values are exactly what
`Connection.execute` would send; only the per-call machinery is skipped.

Anything this does not reproduce goes through `Connection.execute` as before: other drivers,
several rows of parameters for a statement that returns rows, expanding IN lists, escaped bind
names, Python-side column defaults, and result columns that need converting (a datetime comes
back from SQLite as text). Errors are raised as SQLAlchemy's, so the storage's error mapping
(adapters/persistence/db.py) sees the same ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable


@dataclass(frozen=True, slots=True)
class _Plan:
    """A statement compiled for one set of parameter names."""

    sql: str
    binds: tuple[tuple[str, Any, Callable[[Any], Any] | None], ...]  # name, literal, processor
    returns_rows: bool
    positional: bool  # sqlite3's qmark; psycopg's pyformat binds by name
    names: tuple[str, ...]


_DRIVERS = ("pysqlite", "psycopg")  # dialect.driver: sqlite3 and psycopg 3


class Prepared:
    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        # by driver and parameter names
        self._compiled: dict[tuple[str, tuple[str, ...]], _Plan | None] = {}

    def execute(self, connection: Connection, params: dict[str, Any] | list[dict[str, Any]]
                ) -> Any:
        """A result with the Core result's all(), first(), scalar_one(), scalars(), rowcount.
        A list of parameter rows is executemany (for a statement returning nothing)."""
        rows = params if isinstance(params, list) else [params]
        if connection.dialect.driver not in _DRIVERS or not rows:
            return connection.execute(self.statement, params)
        keys = tuple(sorted(rows[0]))
        plan_key = (connection.dialect.driver, keys)  # a process may use both databases
        if plan_key not in self._compiled:
            self._compiled[plan_key] = _compile(self.statement, connection, keys)
        plan = self._compiled[plan_key]
        many = isinstance(params, list)
        if plan is None or (many and (plan.returns_rows or any(len(r) != len(keys) for r in rows))):
            return connection.execute(self.statement, params)
        sql = plan.sql
        values = [_bound(row, plan) for row in rows]
        cursor = _cursor(connection, kept=plan.positional or not _holds_large(values))
        try:
            if many:
                cursor.executemany(sql, values)  # psycopg: pipelined, one round trip in all
            else:
                cursor.execute(sql, values[0])
        except connection.dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(sql, values, exc, type(exc)) from exc
        return _Rows(cursor)


def changed_each(statement: Prepared, connection: Connection, rows: list[dict[str, Any]]) -> bool:
    """`statement` (which changes at most one row for a row of parameters, keyed by a claim)
    run for every row at once, an executemany: one round trip on PostgreSQL. True when each
    changed its row; both drivers report the rows changed in all."""
    return not rows or statement.execute(connection, rows).rowcount == len(rows)


def _cursor(connection: Connection, *, kept: bool) -> Any:
    """One cursor per driver connection, kept with it: psycopg builds a cursor in about 20 µs,
    a fifth of a statement's CPU (measured on loopback). Reusing it is safe because _Rows
    reads a statement's results before the next one runs. Not `kept`: a cursor of its own."""
    pooled = connection.connection
    raw = pooled.driver_connection
    if not kept:
        return raw.cursor()  # type: ignore[union-attr]
    held = pooled.info.get("prepared_cursor")
    if held is None or held[0] is not raw:  # a new driver connection behind the same record
        held = pooled.info["prepared_cursor"] = (raw, raw.cursor())  # type: ignore[union-attr]
    return held[1]


# A psycopg cursor keeps its last statement's parameters (for its error reports) until its
# next statement: a kept one would hold a 30 MB raw message for as long as its connection
# idles in the pool, one such message for each of them. Such a statement gets a cursor of its
# own, let go with its result (a new cursor costs nothing beside sending 64 KB).
_LARGE_VALUE = 64 * 1024


def _holds_large(rows: list[Any]) -> bool:
    return any(isinstance(value, (bytes, bytearray, memoryview, str)) and len(value) > _LARGE_VALUE
               for row in rows for value in row.values())


def _bound(params: dict[str, Any], plan: _Plan) -> list[Any] | dict[str, Any]:
    values = []
    for name, literal_value, process in plan.binds:
        value = params.get(name, literal_value)
        if process is not None and value is not None:
            value = _processed(process, value) if type(value) is datetime else process(value)
        values.append(value)
    return values if plan.positional else dict(zip(plan.names, values, strict=True))


# A datetime's processor (UTCDateTime's conversion to naive UTC, and on SQLite the text) took
# 6 of the 16 µs of the worker's finishing UPDATE, which binds two (timeit); processing binds
# about ten a message, nearly all of them one batch's `now`. The processors of these
# statements are pure functions of the value, so each answer is kept for the next time; the
# time zone is part of the key (two datetimes of one instant are equal in two zones).
_DATETIMES: dict[tuple[Callable[[Any], Any], datetime, Any], Any] = {}
_MISSING = object()


def _processed(process: Callable[[Any], Any], value: datetime) -> Any:
    key = (process, value, value.tzinfo)
    found = _DATETIMES.get(key, _MISSING)
    if found is _MISSING:
        if len(_DATETIMES) >= 256:
            _DATETIMES.clear()
        found = _DATETIMES[key] = process(value)
    return found


def _compile(statement: Executable, connection: Connection, keys: tuple[str, ...]) -> _Plan | None:
    # As for executemany: PostgreSQL's compiler otherwise adds RETURNING of the primary key to
    # an INSERT that did not ask for it (for Core's inserted_primary_key, which _Rows lacks).
    compiled: Any = statement.compile(dialect=connection.dialect, column_keys=list(keys),
                                      for_executemany=True)
    if getattr(compiled, "insert_prefetch", None) or getattr(compiled, "update_prefetch", None) \
            or compiled.escaped_bind_names:
        return None
    if any(bind.expanding for bind in compiled.binds.values()):
        return None
    for column in compiled._result_columns:  # name, key, objects, type
        if column[3]._cached_result_processor(connection.dialect, None) is not None:
            return None
    defaults = compiled.construct_params(_check=False)  # the literals' values (LIMIT 1)
    positional = compiled.positiontup is not None
    processors = compiled._bind_processors
    binds = tuple((name, defaults[name], processors.get(name))
                  for name in (compiled.positiontup if positional else defaults))
    return _Plan(str(compiled), binds, bool(compiled._result_columns), positional,
                 tuple(name for name, _, _ in binds))


class _Rows:
    """What the callers use of a Core result, read from the cursor at once (it is reused)."""

    def __init__(self, cursor: Any) -> None:
        self.rowcount = int(cursor.rowcount)
        self._rows: Sequence[tuple[Any, ...]] = cursor.fetchall() if cursor.description else []

    def all(self) -> Sequence[tuple[Any, ...]]:
        return self._rows

    def first(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def scalar_one(self) -> Any:
        if len(self._rows) != 1:
            raise ValueError(f"expected one row, got {len(self._rows)}")
        return self._rows[0][0]

    def scalars(self) -> list[Any]:
        return [row[0] for row in self._rows]

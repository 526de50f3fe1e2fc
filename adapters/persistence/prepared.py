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
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable

# SQL, parameter order, literal values, bind processors, whether it returns rows, whether the
# parameters are positional (sqlite3's qmark) or by name (psycopg's pyformat)
_Compiled = tuple[str, tuple[str, ...], dict[str, Any], dict[str, Callable[[Any], Any]], bool,
                  bool] | None
_DRIVERS = ("pysqlite", "psycopg")  # dialect.driver: sqlite3 and psycopg 3

class Prepared:
    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, ...], _Compiled] = {}  # by parameter names

    def execute(self, connection: Connection, params: dict[str, Any] | list[dict[str, Any]]
                ) -> Any:
        """A result with the Core result's all(), first(), scalar_one(), scalars(), rowcount.
        A list of parameter rows is executemany (for a statement returning nothing)."""
        rows = params if isinstance(params, list) else [params]
        if connection.dialect.driver not in _DRIVERS or not rows:
            return connection.execute(self.statement, params)
        keys = tuple(sorted(rows[0]))
        if keys not in self._compiled:
            self._compiled[keys] = _compile(self.statement, connection, keys)
        compiled = self._compiled[keys]
        many = isinstance(params, list)
        if compiled is None or (many and (compiled[4] or any(len(r) != len(keys) for r in rows))):
            return connection.execute(self.statement, params)
        sql, order, defaults, processors, _, positional = compiled
        values = [_bound(row, order, defaults, processors, positional) for row in rows]
        cursor = _cursor(connection)
        try:
            if many:
                cursor.executemany(sql, values)  # psycopg: pipelined, one round trip in all
            else:
                cursor.execute(sql, values[0])
        except connection.dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(sql, values, exc, type(exc)) from exc
        return _Rows(cursor)


def _cursor(connection: Connection) -> Any:
    """One cursor per driver connection, kept with it: psycopg builds a cursor in about 20 µs,
    a fifth of a statement's CPU (measured on loopback). Reusing it is safe because _Rows
    reads a statement's results before the next one runs."""
    pooled = connection.connection
    raw = pooled.driver_connection
    kept = pooled.info.get("prepared_cursor")
    if kept is None or kept[0] is not raw:  # a new driver connection behind the same record
        kept = pooled.info["prepared_cursor"] = (raw, raw.cursor())  # type: ignore[union-attr]
    return kept[1]


def _bound(params: dict[str, Any], order: tuple[str, ...], defaults: dict[str, Any],
           processors: dict[str, Callable[[Any], Any]], positional: bool
           ) -> list[Any] | dict[str, Any]:
    values = []
    for name in order:
        value = params[name] if name in params else defaults[name]
        process = processors.get(name)
        values.append(process(value) if process is not None and value is not None else value)
    return values if positional else dict(zip(order, values, strict=True))


def _compile(statement: Executable, connection: Connection, keys: tuple[str, ...]) -> _Compiled:
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
    processors = {name: p for name, p in compiled._bind_processors.items() if p is not None}
    positional = compiled.positiontup is not None
    order = tuple(compiled.positiontup if positional else defaults)
    return (str(compiled), order, defaults, processors, bool(compiled._result_columns),
            positional)


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

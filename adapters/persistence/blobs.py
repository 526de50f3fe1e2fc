"""Raw messages in and out of SQLite without the whole-blob copies SQLite makes.

Bound as a parameter, a 30 MB blob is copied by the driver (SQLITE_TRANSIENT) and again into
the record SQLite builds: the insert peaked at 59 MB over the message, and a select kept 57
(measured on this machine, bench/memory.py). A large raw message is instead inserted as a
zeroblob of its size and written through SQLite's incremental blob I/O a chunk at a time, and
read back the same way, straight into one bytes. Inside the caller's transaction, on its
connection: committed (or rolled back) with the rest of the unit of work. PostgreSQL and small
messages take the plain statements. The same for a filed document's large attachments.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
    Table,
    bindparam,
    case,
    func,
    insert,
    select,
)

from adapters.persistence.prepared import Prepared
from adapters.persistence.tables import RawMessage

LARGE = 1024 * 1024
CHUNK = 1024 * 1024
_R = RawMessage.__table__  # type: ignore[attr-defined]
_INSERT = Prepared(insert(_R))
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_SELECT = select(_R.c.inbound_message_id, _R.c.data).where(_R.c.inbound_message_id.in_(_IDS))
# SQLite: the small ones' bytes, NULL for the large (read by blob I/O); length() reads no blob.
_SELECT_SMALL = select(_R.c.inbound_message_id,
                       case((func.length(_R.c.data) <= LARGE, _R.c.data), else_=None)
                       ).where(_R.c.inbound_message_id.in_(_IDS))


def insert_raw(connection: Connection, inbound_id: int, data: bytes) -> None:
    insert_row(connection, _R, {"inbound_message_id": inbound_id, "data": data}, _INSERT)


def insert_row(connection: Connection, table: Table, row: dict[str, Any],
               plain: Prepared) -> None:
    """Insert `row` into `table` (whose integer primary key is its SQLite rowid): small ones
    with `plain`, the table's prepared insert; a large `data` is written after the row, by
    blob I/O, in the same transaction."""
    data = row["data"]
    if connection.dialect.name != "sqlite" or len(data) <= LARGE:
        plain.execute(connection, row)
        return
    statement = insert(table).values({**row, "data": func.zeroblob(len(data))})
    (rowid,) = connection.execute(statement).inserted_primary_key  # type: ignore[misc]
    view = memoryview(data)
    with _sqlite(connection).blobopen(table.name, "data", rowid) as blob:
        for start in range(0, len(view), CHUNK):
            blob.write(view[start:start + CHUNK])


def read_raws(connection: Connection, inbound_ids: list[int]) -> dict[int, bytes]:
    """{inbound id: raw message} of those stored."""
    if connection.dialect.name != "sqlite":
        rows = connection.execute(_SELECT, {"ids": inbound_ids}).all()
        return {row_id: bytes(data) for row_id, data in rows}
    rows = connection.execute(_SELECT_SMALL, {"ids": inbound_ids}).all()
    raws: dict[int, bytes] = {}
    for row_id, data in rows:
        if data is None:  # large: read in one piece, without SQLite's own copy
            with _sqlite(connection).blobopen("raw_message", "data", row_id, readonly=True) as blob:
                data = blob.read()
        raws[row_id] = bytes(data)
    return raws


def _sqlite(connection: Connection) -> Any:
    return connection.connection.driver_connection

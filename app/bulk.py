"""Writing many rows at once on the hot paths (accept, reports, the sandbox).

SQLAlchemy's per-row parameter processing costs more than the database for 100,000-row
batches, so these go to the DB-API directly: on SQLite one `executemany`; on PostgreSQL
`COPY` (into the table, or into a temporary table that one set-based `UPDATE … FROM`
or `INSERT … SELECT` then applies), which is several times faster than executemany.
Every function works on the given SQLAlchemy `Connection`, inside its transaction."""
from __future__ import annotations

import datetime as dt
import zlib
from typing import Iterable, Sequence


def is_postgres(conn) -> bool:
    return conn.dialect.name == "postgresql"


def time_binder(conn):
    """A function binding datetimes for executemany on this connection: SQLite stores
    SQLAlchemy's text format; PostgreSQL takes the datetime. It remembers the few
    distinct times of a batch."""
    if is_postgres(conn):
        return lambda value: value
    cache: dict = {}

    def bind(value: dt.datetime | None):
        if value is None:
            return None
        text = cache.get(value)
        if text is None:
            text = cache[value] = value.strftime("%Y-%m-%d %H:%M:%S.%f")
        return text
    return bind


def _copy(conn, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    with conn.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def insert(conn, table: str, columns: Sequence[str], rows: list[Sequence]) -> None:
    if not rows:
        return
    if is_postgres(conn):
        _copy(conn, table, columns, rows)
        return
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def _staging(conn, table: str, columns: dict[str, str]) -> str:
    """A temporary table of the given columns (name → SQL type), emptied, for this
    connection; its rows vanish at commit."""
    ddl = ", ".join(f"{column} {sql_type}" for column, sql_type in columns.items())
    name = f"mb_stage_{table}_{zlib.crc32(ddl.encode()):08x}"   # one per shape of columns
    conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({ddl}) ON COMMIT DELETE ROWS")
    conn.exec_driver_sql(f"TRUNCATE {name}")
    return name


IN_LIST = 1000      # keys per `WHERE key IN (…)`


def marks(conn, count: int) -> str:
    """`count` DB-API placeholders, comma-separated."""
    return ", ".join(("%s" if is_postgres(conn) else "?") for _ in range(count))


def rows_in(conn, sql: str, keys: Sequence, *, chunk: int = IN_LIST) -> list[tuple]:
    """The rows of `sql` (its `{keys}` is the list of placeholders) for every key, asked in
    chunks on the DB-API cursor: for thousands of keys, SQLAlchemy's rendering of an
    expanding IN costs more than the query."""
    found: list[tuple] = []
    for start in range(0, len(keys), chunk):
        part = keys[start:start + chunk]
        found += conn.exec_driver_sql(sql.format(keys=marks(conn, len(part))), tuple(part)).fetchall()
    return found


def update(conn, table: str, key: str, columns: dict[str, str], rows: list[Sequence]) -> None:
    """rows: (key, value for each column, in `columns` order). `columns` maps each column
    to its SQL type (used for PostgreSQL's staging table). On SQLite, rows that set the
    same values (a batch of reports: a few codes, a few report times) go together in one
    `UPDATE … WHERE key IN (…)`, about 2.5 times faster than a statement per row."""
    if not rows:
        return
    names = list(columns)
    if is_postgres(conn):
        stage = _staging(conn, table, {key: "bigint", **columns})
        _copy(conn, stage, [key, *names], rows)
        sets = ", ".join(f"{c} = s.{c}" for c in names)
        conn.exec_driver_sql(f"UPDATE {table} SET {sets} FROM {stage} s WHERE {table}.{key} = s.{key}")
        return
    sets = ", ".join(f"{c} = ?" for c in names)
    groups: dict[tuple, list] = {}
    for row in rows:
        groups.setdefault(tuple(row[1:]), []).append(row[0])
    if len(groups) * 8 > len(rows):        # mostly distinct values: a statement per row
        conn.exec_driver_sql(f"UPDATE {table} SET {sets} WHERE {key} = ?", [(*row[1:], row[0]) for row in rows])
        return
    for values, keys in groups.items():
        for start in range(0, len(keys), IN_LIST):
            chunk = keys[start:start + IN_LIST]
            conn.exec_driver_sql(f"UPDATE {table} SET {sets} WHERE {key} IN ({', '.join('?' * len(chunk))})",
                                 (*values, *chunk))


def upsert_counting(conn, table: str, columns: dict[str, str], rows: list[Sequence], *, conflict: str,
                    on_conflict: str) -> None:
    """INSERT rows; a row whose `conflict` column already exists runs `on_conflict`
    (an UPDATE SET clause) instead."""
    if not rows:
        return
    names = list(columns)
    if is_postgres(conn):
        stage = _staging(conn, table, columns)
        _copy(conn, stage, names, rows)
        conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(names)} FROM {stage} "
                             f"ON CONFLICT ({conflict}) DO UPDATE SET {on_conflict}")
        return
    marks = ", ".join("?" for _ in names)
    conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks}) "
                         f"ON CONFLICT ({conflict}) DO UPDATE SET {on_conflict}", rows)

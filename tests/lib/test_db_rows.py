"""Query results become dicts through ``salon.lib.db.rows_to_dicts`` (the engine in ``salon.piccolo_conf``): the same
dicts as Piccolo's own ``dict(record)``, column order, NULLs, duplicate names and empty results included."""

from __future__ import annotations

import os

import asyncpg

from salon.lib.db import engine, rows_to_dicts
from salon.posts.tables import Post

SQL = """
SELECT n, n * 2 AS double, NULL::text AS nothing, 'a' AS same, 'b' AS same, ARRAY[n, n] AS pair
FROM generate_series(1, 3) AS n
"""


async def test_rows_are_the_dicts_piccolo_would_make() -> None:
    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        records = await conn.fetch(SQL)
        empty = await conn.fetch("SELECT 1 AS one WHERE false")
    finally:
        await conn.close()

    assert rows_to_dicts(records) == [dict(record) for record in records]
    assert [list(row) for row in rows_to_dicts(records)] == [list(dict(record)) for record in records]
    assert rows_to_dicts(records)[0] == {"n": 1, "double": 2, "nothing": None, "same": "b", "pair": [1, 1]}
    assert rows_to_dicts(empty) == []


async def test_the_configured_engine_uses_them() -> None:
    from salon.piccolo_conf import SalonPostgresEngine

    assert isinstance(engine(), SalonPostgresEngine)
    assert await Post.raw("SELECT 1 AS one, 2 AS two") == [{"one": 1, "two": 2}]

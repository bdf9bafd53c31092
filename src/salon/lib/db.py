"""Database access: the Piccolo engine, its pool, and units of work that run callbacks only after commit.

Services wrap writes in ``async with unit_of_work():``. Anything that announces a change to the outside world (events,
jobs) goes through ``after_commit``, so nothing is announced that was rolled back and no job runs before the data it
needs is visible.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from piccolo.engine.postgres import PostgresEngine

    from salon.settings import Settings

log = logging.getLogger("salon.db")

AfterCommit = Callable[[], Awaitable[None]]
_pending: contextvars.ContextVar[list[AfterCommit] | None] = contextvars.ContextVar("salon_after_commit", default=None)


def rows_to_dicts(records: Any) -> list[dict[str, Any]]:
    """asyncpg records as dicts, for Piccolo (``SalonPostgresEngine``): the column names are taken once per result
    and zipped with each record's values, 15-35 % faster than Piccolo's ``dict(record)``, which looks every column up
    by name. Converting the rows was about a tenth of a warm home-feed page in its profile (a page of posts is some 40
    rows of 39 columns)."""
    if not records:
        return []
    names = list(records[0].keys())
    return [dict(zip(names, record, strict=True)) for record in records]


def engine() -> PostgresEngine:
    from piccolo.engine.finder import engine_finder

    found = engine_finder()
    if found is None:  # pragma: no cover - piccolo_conf always defines DB
        raise RuntimeError("Piccolo engine not configured (PICCOLO_CONF)")
    return found  # type: ignore[return-value]


async def _reset_connection(conn: Any) -> None:
    """Cheap pool reset: roll back a transaction left open by a cancelled request, skip asyncpg's full RESET ALL.

    salon never changes session state (no SET, LISTEN or session advisory locks), and the default reset query
    halves pooled throughput on this class of machine (see GUIDE.md section 4).
    """
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


async def start_pool(settings: Settings) -> None:
    await engine().start_connection_pool(
        min_size=settings.db_pool_min, max_size=settings.db_pool_max, reset=_reset_connection
    )


async def close_pool() -> None:
    await engine().close_connection_pool()


@asynccontextmanager
async def unit_of_work(*, transaction: bool = True) -> AsyncIterator[None]:
    """A transaction. Nested units join the outermost one; callbacks run once it commits.

    ``transaction=False`` is for a unit whose writes are all in ONE SQL statement, which Postgres runs atomically on
    its own: it saves the BEGIN and COMMIT round trips, and its callbacks still run only after that statement has
    committed, and only when the block raised nothing. Do no other I/O in such a block after that statement: a
    failure or cancellation there would drop the callbacks of a write that already committed. Inside another unit it
    joins that unit (and its transaction) as usual.
    """
    if _pending.get() is not None:
        async with engine().transaction():
            yield
        return
    callbacks: list[AfterCommit] = []
    token = _pending.set(callbacks)
    try:
        if transaction:
            async with engine().transaction():
                yield
        else:
            yield
    finally:
        _pending.reset(token)
    for callback in callbacks:
        try:
            await callback()
        except Exception:  # the data is committed; a failed announcement must not turn into a failed request
            log.exception("after-commit callback failed")


async def after_commit(callback: AfterCommit) -> None:
    """Run ``callback`` after the current unit of work commits, or now when there is none."""
    pending = _pending.get()
    if pending is None:
        await callback()
    else:
        pending.append(callback)


def in_unit_of_work() -> bool:
    return _pending.get() is not None


def probe_sql(table: str, condition: str) -> str:
    """SQL boolean: some row of ``table`` meets ``condition`` (code constants only), looked up anew for each row of
    the outer query (an index probe on the table's unique pair).

    For a per-row flag such as "the viewer liked this post" it replaces ``EXISTS (...)``, which Postgres may run as a
    hash of *every* row matching the outer-independent half of the condition, built once per query: all of the
    viewer's likes or follows, every post on hold. That grows with the viewer's history or the moderation queue, not
    with the page; on the benchmark data it made a page of posts cost 0.79 ms in Postgres instead of 0.44 ms. A scalar
    subquery is never hashed.

    Only for the columns of an outer query of bounded size (a page). Filters over many rows keep ``EXISTS``, which
    the planner may turn into an anti-join or a hash."""
    return f"COALESCE((SELECT TRUE FROM {table} WHERE {condition} LIMIT 1), FALSE)"  # noqa: S608 - code constants

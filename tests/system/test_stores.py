"""Units of work, after-commit delivery of events and jobs, and the migrations being complete."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from salon.lib import db, events, jobs
from salon.lib import valkey as valkey_client

RAN: list[str] = []


@jobs.job(timeout=5, retries=1)
async def record_for_test(ctx: dict[str, Any], *, value: str) -> None:
    RAN.append(value)


@events.event_type("test.happened")
class Happened(msgspec.Struct):
    what: str


class Boom(Exception):
    pass


async def test_job_is_queued_only_after_commit_and_runs_in_a_worker(app: Any, run_jobs: Any) -> None:
    RAN.clear()
    with pytest.raises(Boom):
        async with db.unit_of_work():
            await jobs.enqueue(record_for_test, value="rolled back")
            raise Boom
    async with db.unit_of_work():
        await jobs.enqueue(record_for_test, value="committed")
        assert await jobs.queue().count("queued") == 0, "a job must not be visible before commit"
    assert await jobs.queue().count("queued") == 1
    await run_jobs()
    assert RAN == ["committed"]


async def test_event_is_published_only_after_commit(app: Any) -> None:
    log = events.user_log_key("user-1")
    with pytest.raises(Boom):
        async with db.unit_of_work():
            await events.publish("test.happened", Happened(what="no"), ["user-1"])
            raise Boom
    assert await valkey_client.client().xlen(log) == 0
    async with db.unit_of_work():
        await events.publish("test.happened", Happened(what="yes"), ["user-1"])
        assert await valkey_client.client().xlen(log) == 0
    entries = await valkey_client.client().xrange(log)
    assert [(e["event"], msgspec.json.decode(e["data"])) for _, e in entries] == [("test.happened", {"what": "yes"})]


async def test_publish_rejects_an_unregistered_shape(app: Any) -> None:
    with pytest.raises(TypeError):
        await events.publish("test.happened", msgspec.Struct(), ["user-1"])  # type: ignore[arg-type]


async def test_nested_units_of_work_join_the_outer_transaction(app: Any) -> None:
    conn_engine = db.engine()
    with pytest.raises(Boom):
        async with db.unit_of_work():
            await conn_engine.run_ddl("CREATE TABLE nested_probe (x int)")
            async with db.unit_of_work():
                await conn_engine.run_ddl("INSERT INTO nested_probe VALUES (1)")
            raise Boom
    rows = await conn_engine.run_ddl("SELECT to_regclass('nested_probe') AS t")
    assert rows[0]["t"] is None, "the whole unit of work, nested part included, must roll back"


async def test_every_model_change_has_a_migration(app: Any) -> None:
    """What `piccolo migrations new --auto` would generate must be empty, and every migration must have run."""
    from piccolo.apps.migrations.commands.check import CheckMigrationManager
    from piccolo.apps.migrations.commands.new import AutoMigrationManager
    from piccolo.conf.apps import Finder

    manager = AutoMigrationManager()
    for app_config in Finder().get_app_configs():
        statements = await manager.get_alter_statements(app_config=app_config)
        pending = [s for alter in statements for s in alter.statements]
        assert pending == [], f"app {app_config.app_name} has model changes without a migration: {pending}"
    statuses = await CheckMigrationManager(app_name="all").get_migration_statuses()
    assert statuses, "no migrations found"
    assert all(status.has_ran for status in statuses), [s for s in statuses if not s.has_ran]


async def test_no_uuid_column_defaults_to_a_constant(app: Any) -> None:
    """Piccolo stores a callable default (``new_id``) as the value it returned once; the system app's migration
    replaces such constants with ``uuidv7()``. A later migration that brings one back fails here."""
    from piccolo_migrations.system.system_2026_11_22t10_00_00_000000 import CONSTANT_UUID_DEFAULTS

    assert await db.engine().run_ddl(CONSTANT_UUID_DEFAULTS) == []
    users_id = await db.engine().run_ddl(
        "SELECT column_default FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'id'"
    )
    assert users_id[0]["column_default"] == "uuidv7()"

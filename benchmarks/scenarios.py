"""The scenarios of ``make bench``: each k6 script (or the SDK reference) with what it measures, its reference and
the settings it needs. ``benchmarks/run.py`` runs them in this order."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field


@dataclass
class Scenario:
    name: str
    script: str
    target: str  # "salon", "reference" (k6 against the bare app) or "sdk" (benchmarks/sdk_reference.py, no k6)
    unit: str  # what `rate` counts: req/s or streams/s
    latency: str  # the k6 Trend reported as p50/p95/p99
    reference: str | None = None
    requires: list[str] = field(default_factory=list)  # "METHOD /path" that must be in salon's OpenAPI schema
    env: dict[str, str] = field(default_factory=dict)
    standin: tuple[int, float] | None = None  # (chunks, delay ms) the Gemini stand-in must use
    probe: str | None = None
    note: str = ""
    ceiling: str | None = None  # a second reference: what salon cannot exceed (its rate is shown as a ratio too)
    seconds: int | None = None  # how long it runs, when not ``--duration``


# The fan-out probe posts one post at a time and waits for its fan-out (0.3-0.6 s): 15 s gave 35-50 creates, whose
# "p99" is the slowest one. 45 s gives ~100.
FANOUT_MIN_SECONDS = 45


def fanout_seconds(args: argparse.Namespace) -> int:
    return max(args.duration, FANOUT_MIN_SECONDS)


def scenarios(args: argparse.Namespace) -> list[Scenario]:
    vus = str(args.vus)
    fixed = [
        Scenario("reference_json", "ref_json.js", "reference", "req/s", "http_req_duration", env={"VUS": vus}),
        Scenario("auth_login_refresh", "auth.js", "salon", "req/s", "login_ms", "reference_json",
                 ["POST /api/v1/auth/login", "POST /api/v1/auth/refresh"], {"VUS": vus},
                 note="argon2id verify per login (CPU-bound by design)"),
        Scenario("feed_ranked", "feed_read.js", "salon", "req/s", "feed_ms", "reference_json", ["GET /api/v1/feed"],
                 {"VUS": vus, "ALGORITHM": "ranked"}),
        Scenario("feed_chronological", "feed_read.js", "salon", "req/s", "feed_ms", "reference_json",
                 ["GET /api/v1/feed"], {"VUS": vus, "ALGORITHM": "chronological"}),
        Scenario("search", "search.js", "salon", "req/s", "search_ms", "reference_json", ["GET /api/v1/search"],
                 {"VUS": vus}, note="posts, users and hashtags in turn; per-type latency below the table"),
        Scenario("post_write", "post_write.js", "salon", "req/s", "post_create_ms", "reference_json",
                 ["POST /api/v1/posts"], {"VUS": vus}, note="as fast as 64 users can post: throughput"),
        Scenario("fanout", "post_write.js", "salon", "req/s", "post_create_ms", None, ["POST /api/v1/posts"],
                 {"VUS": "16", "RATE": str(args.write_rate), "USER_OFFSET": "1500"}, probe="fanout",
                 note=f"{args.write_rate} posts/s by users with ~100 followers (the mean) while user00000 posts",
                 seconds=fanout_seconds(args)),
        Scenario("events", "events.js", "salon", "streams", "like_ms", None, ["GET /api/v1/events"],
                 {"STREAMS": str(args.streams), "HOLD": str(args.hold), "ACTION_RATE": str(args.action_rate)},
                 probe="events",
                 note="rate = streams held open for the whole hold; latency = the actions (likes)"),
        Scenario("reference_sse_20", "ref_sse.js", "reference", "streams/s", "stream_ms",
                 env={"VUS": vus, "EVENTS": "20", "DELAY_MS": "0"}),
        Scenario("reference_sdk_20", "sdk_reference.py", "sdk", "streams/s", "stream_ms", env={"VUS": vus},
                 standin=(20, 0.0), note="the google-genai SDK alone, one process: the ceiling of ai_stream_0ms"),
        Scenario("ai_stream_0ms", "ai_stream.js", "salon", "streams/s", "stream_ms", "reference_sse_20",
                 ["POST /api/v1/ai/conversations/{conversation_id}/messages"],
                 {"VUS": vus, "CHUNKS": "20", "DELAY_MS": "0"}, standin=(20, 0.0), ceiling="reference_sdk_20"),
    ]  # fmt: skip
    paced = [s for count in args.ai_streams for s in paced_ai_scenarios(count, named_by_count=len(args.ai_streams) > 1)]
    return fixed + paced


def paced_ai_scenarios(count: int, named_by_count: bool) -> list[Scenario]:
    """The 30 ms x 200 chunks scenarios at ``count`` concurrent streams: bare SSE, the SDK alone, salon. With several
    counts (a sweep), each name ends in ``@<count>``."""
    suffix = f"@{count}" if named_by_count else ""
    sse, sdk = f"reference_sse_200x30ms{suffix}", f"reference_sdk_200x30ms{suffix}"
    paced = {"VUS": str(count), "CHUNKS": "200", "DELAY_MS": "30"}
    return [
        Scenario(sse, "ref_sse.js", "reference", "streams/s", "added_ms_per_chunk",
                 env={"VUS": str(count), "EVENTS": "200", "DELAY_MS": "30"}),
        Scenario(sdk, "sdk_reference.py", "sdk", "streams/s", "added_ms_per_chunk", env={"VUS": str(count)},
                 standin=(200, 30.0), note="the google-genai SDK alone, one process: the ceiling of ai_stream_30ms"),
        Scenario(f"ai_stream_30ms{suffix}", "ai_stream.js", "salon", "streams/s", "added_ms_per_chunk", sse,
                 ["POST /api/v1/ai/conversations/{conversation_id}/messages"], paced, standin=(200, 30.0),
                 probe="ai_chunks", ceiling=sdk),
    ]  # fmt: skip

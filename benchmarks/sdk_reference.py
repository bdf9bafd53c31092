"""``reference_sdk_20``: the google-genai SDK alone, streaming replies from the same Gemini stand-in as salon.

Every salon AI reply runs through this SDK call (``client.aio.models.generate_content_stream``) in the API process,
so what one process of the SDK alone streams per second is a ceiling for ``ai_stream_0ms``: no salon code, no
database, no HTTP server of ours, a one-turn conversation. ``--vus`` loops stream one reply each after another for
``--duration`` seconds, on uvloop as salon's Granian workers are. The summary is written in the shape of a k6
summary (``streams`` count, ``stream_ms`` trend, ``stream_errors`` rate), so the runner reads it like the others.

    python benchmarks/sdk_reference.py --base-url http://127.0.0.1:8012 --vus 64 --duration 15 --out summary.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path

import uvloop
from google import genai
from google.genai import types

MODEL = "gemini-2.5-flash"
MESSAGE = "Tell me something about streaming replies. " * 2  # as benchmarks/k6/ai_stream.js sends at 20 chunks


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def stream_one(client: genai.Client, expected_chunks: int) -> None:
    contents = [types.Content(role="user", parts=[types.Part(text=MESSAGE)])]
    chunks = 0
    async for chunk in await client.aio.models.generate_content_stream(model=MODEL, contents=contents):
        if chunk.text:
            chunks += 1
    if chunks != expected_chunks:
        raise RuntimeError(f"got {chunks} chunks, expected {expected_chunks}")


async def run(base_url: str, vus: int, duration: float, expected_chunks: int) -> dict[str, object]:
    client = genai.Client(api_key="benchmark-key", http_options=types.HttpOptions(base_url=base_url))
    durations: list[float] = []
    errors = 0
    deadline = time.monotonic() + duration

    async def loop() -> None:
        nonlocal errors
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                await stream_one(client, expected_chunks)
            except Exception:
                errors += 1
                continue
            durations.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(loop() for _ in range(vus)))
    attempts = len(durations) + errors
    return {
        "metrics": {
            "streams": {"values": {"count": len(durations)}},
            "stream_errors": {"values": {"rate": errors / attempts if attempts else 0.0}},
            "stream_ms": {
                "values": {
                    "med": statistics.median(durations) if durations else None,
                    "p(95)": percentile(durations, 0.95),
                    "p(99)": percentile(durations, 0.99),
                }
            },
        }
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--vus", type=int, default=64)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--chunks", type=int, default=20, help="chunks the stand-in sends per reply")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    summary = uvloop.run(run(args.base_url, args.vus, args.duration, args.chunks))
    args.out.write_text(json.dumps(summary))


if __name__ == "__main__":
    main()

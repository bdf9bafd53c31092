"""``reference_sdk_*``: the google-genai SDK alone, streaming replies from the same Gemini stand-in as salon.

Every salon AI reply runs through this SDK call (``client.aio.models.generate_content_stream``) in the API process,
so what one process of the SDK alone does is a ceiling for the AI scenarios: no salon code, no database, no HTTP
server of ours, a one-turn conversation. ``--vus`` loops stream one reply each after another for ``--duration``
seconds (a stream started in time may finish after it), on uvloop as salon's Granian workers are. The summary is
written in the shape of a k6 summary (``streams`` count, ``stream_ms`` and ``added_ms_per_chunk`` trends,
``stream_errors`` rate), so the runner reads it like the others. ``added_ms_per_chunk`` is what a stream took beyond
the stand-in's own pacing (``--pacing-ms``), spread over its chunks, as benchmarks/k6/ai_stream.js computes it;
``added_ms`` is each chunk's time from the stand-in's send to here, when the stand-in stamps its chunks (``--stamp``),
as the AI chunk probe times salon's (benchmarks/probes.py).

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

from salon.ai.provider import Turn, sdk_client, sdk_request
from salon.ai.standin import sent_stamps

MODEL = "gemini-2.5-flash"


def message(chunks: int) -> str:
    """What benchmarks/k6/ai_stream.js sends: long enough for the stand-in's echo to fill every chunk."""
    return "Tell me something about streaming replies. " * (-(-chunks // 40) + 1)


def trend(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"med": None, "p(95)": None, "p(99)": None}
    ordered = sorted(values)

    def at(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    return {"med": statistics.median(ordered), "p(95)": at(0.95), "p(99)": at(0.99)}


async def stream_one(client: genai.Client, chunks: int, added_per_chunk: list[float]) -> None:
    contents, config = sdk_request([Turn(role="user", text=message(chunks))], None, None)  # as salon makes its calls
    received = 0
    async for chunk in await client.aio.models.generate_content_stream(model=MODEL, contents=contents, config=config):
        if chunk.text:
            received += 1
            now = time.monotonic()
            added_per_chunk.extend((now - sent) * 1000 for sent in sent_stamps(chunk.text))
    if received != chunks:
        raise RuntimeError(f"got {received} chunks, expected {chunks}")


async def run(base_url: str, vus: int, duration: float, chunks: int, pacing_ms: float = 0.0) -> dict[str, object]:
    # The SDK client as salon's provider makes it (its aiohttp session, no bound on connections).
    http, client = sdk_client("benchmark-key", base_url)
    durations: list[float] = []
    added: list[float] = []
    added_per_chunk: list[float] = []  # from a ``--stamp`` stand-in's send times
    errors = 0
    deadline = time.monotonic() + duration

    async def loop() -> None:
        nonlocal errors
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                await stream_one(client, chunks, added_per_chunk)
            except Exception:
                errors += 1
                continue
            took = (time.perf_counter() - started) * 1000
            durations.append(took)
            added.append(max(0.0, took - chunks * pacing_ms) / chunks)

    await asyncio.gather(*(loop() for _ in range(vus)))
    await http.close()
    attempts = len(durations) + errors
    metrics = {
        "streams": {"values": {"count": len(durations)}},
        "stream_errors": {"values": {"rate": errors / attempts if attempts else 0.0}},
        "stream_ms": {"values": trend(durations)},
        "added_ms_per_chunk": {"values": trend(added)},
    }
    if added_per_chunk:  # only from a stand-in that stamps its chunks (the paced one)
        metrics["added_ms"] = {"values": trend(added_per_chunk)}
    return {"metrics": metrics}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--vus", type=int, default=64)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--chunks", type=int, default=20, help="chunks the stand-in sends per reply")
    parser.add_argument("--pacing-ms", type=float, default=0.0, help="the stand-in's delay between chunks")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    summary = uvloop.run(run(args.base_url, args.vus, args.duration, args.chunks, args.pacing_ms))
    args.out.write_text(json.dumps(summary))


if __name__ == "__main__":
    main()

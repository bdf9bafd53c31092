"""The SDK reference of the benchmark streams real replies from the Gemini stand-in, and counts what failed."""

from __future__ import annotations

from benchmarks.sdk_reference import run

from salon.ai.standin import GeminiStandIn


async def test_counts_complete_streams_and_their_times() -> None:
    server = GeminiStandIn(chunks=20)
    url = await server.start()
    try:
        summary = await run(url, vus=2, duration=0.5, chunks=20)
    finally:
        await server.stop()
    metrics = summary["metrics"]
    assert metrics["streams"]["values"]["count"] >= 2
    assert metrics["stream_errors"]["values"]["rate"] == 0.0
    assert metrics["stream_ms"]["values"]["med"] > 0


async def test_a_stream_with_the_wrong_number_of_chunks_is_an_error() -> None:
    server = GeminiStandIn(chunks=4)
    url = await server.start()
    try:
        summary = await run(url, vus=1, duration=0.3, chunks=20)
    finally:
        await server.stop()
    metrics = summary["metrics"]
    assert metrics["streams"]["values"]["count"] == 0
    assert metrics["stream_errors"]["values"]["rate"] == 1.0

"""The SDK reference of the benchmark streams real replies from the Gemini stand-in, and counts what failed."""

from __future__ import annotations

from typing import Any

from benchmarks.sdk_reference import run

from salon.ai.standin import GeminiStandIn


async def _run_against(standin_chunks: int, *, stamp: bool = False, **options: Any) -> dict[str, Any]:
    server = GeminiStandIn(chunks=standin_chunks, delay=0.01 if stamp else 0.0, stamp=stamp)
    url = await server.start()
    try:
        return (await run(url, **options))["metrics"]  # type: ignore[no-any-return]
    finally:
        await server.stop()


async def test_counts_complete_streams_and_their_times() -> None:
    metrics = await _run_against(20, vus=2, duration=0.5, chunks=20)

    assert metrics["streams"]["values"]["count"] >= 2
    assert metrics["stream_errors"]["values"]["rate"] == 0.0
    assert metrics["stream_ms"]["values"]["med"] > 0


async def test_a_stream_with_the_wrong_number_of_chunks_is_an_error() -> None:
    metrics = await _run_against(4, vus=1, duration=0.3, chunks=20)

    assert metrics["streams"]["values"]["count"] == 0
    assert metrics["stream_errors"]["values"]["rate"] == 1.0


async def test_times_each_chunk_from_a_stamping_stand_in_and_only_then() -> None:
    stamped = await _run_against(5, stamp=True, vus=2, duration=0.2, chunks=5, pacing_ms=10)
    plain = await _run_against(5, vus=2, duration=0.2, chunks=5)

    assert 0 <= stamped["added_ms"]["values"]["p(99)"] < 1000
    assert "added_ms" not in plain

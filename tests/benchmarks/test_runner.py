"""The benchmark runner's own logic: the paced-stream sweep and the verdict on how many streams held."""

from __future__ import annotations

import pytest
from benchmarks.results import Result, held_line
from benchmarks.run import k6_duration_seconds, parse_args
from benchmarks.scenarios import scenarios


def _paced(count: int, p99: float, *, errors: float = 0.0, rss: float = 500.0) -> Result:
    return Result(
        f"ai_stream_30ms@{count}", "ok", errors=errors, peak_rss_mib=rss, probe={"added_ms": {"p99": p99}, "errors": 0}
    )


def test_a_sweep_runs_the_paced_scenarios_once_per_count_each_against_its_own_references() -> None:
    names = [s.name for s in scenarios(parse_args(["--ai-streams", "500,100"]))]
    paced = [name for name in names if "30ms" in name]
    assert paced == [
        "reference_sse_200x30ms@100", "reference_sdk_200x30ms@100", "ai_stream_30ms@100",
        "reference_sse_200x30ms@500", "reference_sdk_200x30ms@500", "ai_stream_30ms@500",
    ]  # fmt: skip
    salon = {s.name: s for s in scenarios(parse_args(["--ai-streams", "500,100"]))}["ai_stream_30ms@500"]
    assert (salon.reference, salon.ceiling, salon.env["VUS"]) == (
        "reference_sse_200x30ms@500",
        "reference_sdk_200x30ms@500",
        "500",
    )
    single = [s.name for s in scenarios(parse_args([])) if "30ms" in s.name]
    assert single == ["reference_sse_200x30ms", "reference_sdk_200x30ms", "ai_stream_30ms"]  # names of earlier runs


@pytest.mark.parametrize("text", ["", "0", "100,x", "-5"])
def test_stream_counts_must_be_positive_whole_numbers(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--ai-streams", text])
    error = capsys.readouterr().err
    assert "stream counts" in error or "not a comma-separated list" in error


def test_the_verdict_names_the_most_streams_that_held() -> None:
    results = [_paced(100, 12.0), _paced(250, 24.9), _paced(500, 40.0), _paced(1000, 10.0, errors=0.01)]
    line = held_line(results, [100, 250, 500, 1000])
    assert line is not None
    assert "up to **250** streams" in line
    assert "500: not held (p99 40.0 ms)" in line
    assert "1000: not held" in line  # fast, but with errors


def test_the_verdict_says_when_nothing_held_and_is_absent_without_paced_runs() -> None:
    assert "**none** of the counts tried" in (
        held_line([_paced(100, 30.0), _paced(200, 10, rss=2000)], [100, 200]) or ""
    )
    single = Result("ai_stream_30ms", "ok", probe={"added_ms": {"p99": 5.0}})
    assert "up to **500** streams" in (held_line([single], [500]) or "")
    assert held_line([Result("feed_ranked", "ok")], [500]) is None


def test_the_verdict_gives_the_sdk_alone_figure_beside_each_count() -> None:
    sdk = Result("reference_sdk_200x30ms@250", "ok", metrics={"added_ms": {"p(99)": 61.3}})
    line = held_line([_paced(100, 12.0), sdk, _paced(250, 80.0)], [100, 250]) or ""
    assert "100: held (p99 12.0 ms)" in line
    assert "250: not held (p99 80.0 ms; the SDK alone 61.3 ms)" in line


def test_a_count_whose_probe_never_saw_the_load_is_not_held() -> None:
    # At 2,000 streams the probe may give up waiting for the load and time an idle server: fast, and meaningless.
    probe = {"added_ms": {"p99": 4.2}, "replies_in_flight_at_start": 0, "replies_wanted": 1800}
    idle = Result("ai_stream_30ms@2000", "ok", peak_rss_mib=700.0, probe=probe)
    line = held_line([_paced(100, 12.0), idle], [100, 2000]) or ""
    assert "up to **100** streams" in line
    assert "2000: not measured: the probe never saw the load (0 of 1800 replies in flight)" in line


def test_the_fanout_scenario_runs_long_enough_for_its_p99_to_be_more_than_the_slowest_create() -> None:
    def seconds(argv: list[str]) -> dict[str, float]:
        args = parse_args(argv)
        return {s.name: k6_duration_seconds(s, args) for s in scenarios(args)}

    assert seconds([])["fanout"] == 45  # ~100 creates, one at a time
    assert seconds([])["post_write"] == 15
    assert seconds(["--duration", "60"])["fanout"] == 60
    assert seconds(["--hold", "30"])["events"] == 30

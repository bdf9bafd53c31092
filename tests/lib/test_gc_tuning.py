"""Garbage-collector settings of the API processes, and the warning for a slow collection."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator

import pytest

from salon.lib import gc_tuning


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold, callbacks = gc.get_threshold(), list(gc.callbacks)
    yield
    gc.set_threshold(*threshold)
    gc.callbacks[:] = callbacks


def test_configure_sets_the_young_threshold_and_times_collections_once(restored_gc: None) -> None:
    _, middle, old = gc.get_threshold()
    gc_tuning.configure(12_345)
    gc_tuning.configure(12_345)  # every app the process builds configures again
    assert gc.get_threshold() == (12_345, middle, old)
    assert gc.callbacks.count(gc_tuning._time_collections) == 1


@pytest.fixture
def every_collection_slow(restored_gc: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Collections are timed, and each counts as slow."""
    gc_tuning.configure(gc.get_threshold()[0])
    monkeypatch.setattr(gc_tuning, "SLOW_MS", 0.0)


def test_a_slow_collection_is_logged_as_a_warning(
    every_collection_slow: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="salon.gc"):
        gc.collect()
    assert any("slow garbage collection: generation 2" in record.getMessage() for record in caplog.records)


def test_the_collection_before_the_freeze_is_not_reported_but_later_ones_are(
    every_collection_slow: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="salon.gc"):
        try:
            gc_tuning.freeze_startup_objects()
        finally:
            gc.unfreeze()  # the test process keeps collecting as before
        # (generation 2: a young collection the test's own allocations trigger would be reported, and rightly so)
        assert not [r for r in caplog.records if "slow garbage collection: generation 2" in r.getMessage()]
        gc.collect()
    assert any("slow garbage collection: generation 2" in record.getMessage() for record in caplog.records)

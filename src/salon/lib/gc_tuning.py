"""Garbage-collector settings for the API processes, which hold many long-lived objects.

CPython's cyclic collector stops the whole process while it runs. With 5,000 open event streams a process tracks about
a million objects, and each full collection took 0.7-1.4 s on the benchmark machine: a stall of every request and
every stream of the process, several times a minute. Two settings make full collections rare and smaller:

- a larger young-generation threshold (``SALON_GC_YOUNG_THRESHOLD``, CPython's default is 700): young collections
  run less often, so fewer objects of requests still in flight survive into the old generation, and the old
  generation, whose growth by a quarter triggers a full collection, grows far more slowly;
- freezing once the app has started: what is alive then (modules, the app, routes, schemas:
  about 200,000 objects) moves to the permanent generation, which no collection scans again.

Collections slower than ``SLOW_MS`` are logged as warnings, so a pause shows up in the logs rather than only as an
unexplained latency spike; the one that precedes the freeze at start-up is expected and not logged.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

log = logging.getLogger("salon.gc")

SLOW_MS = 100.0
_started: list[tuple[float, float]] = []
_deliberate = False  # True while freeze_startup_objects collects: a pause it chose, not one to report


def _time_collections(phase: str, info: dict[str, Any]) -> None:
    if _deliberate:
        return
    if phase == "start":
        _started[:] = [(time.perf_counter(), time.thread_time())]
    elif _started:
        wall_started, cpu_started = _started.pop()
        elapsed_ms = (time.perf_counter() - wall_started) * 1000
        if elapsed_ms >= SLOW_MS:
            # The CPU time tells a long collection from one whose thread waited for a CPU while it ran
            log.warning(
                "slow garbage collection: generation %d took %d ms, %d ms of it on a CPU (%d objects collected)",
                info["generation"], elapsed_ms, (time.thread_time() - cpu_started) * 1000, info["collected"],
            )  # fmt: skip


def configure(young_threshold: int) -> None:
    """Set the young-generation threshold (the older ones keep CPython's defaults) and time every collection."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young_threshold, middle, old)
    if _time_collections not in gc.callbacks:
        gc.callbacks.append(_time_collections)


def freeze_startup_objects() -> None:
    """Collect once, then move every surviving object to the permanent generation (never scanned again). That one
    collection scans everything the start-up made (~0.1 s): it is not logged as a slow one."""
    global _deliberate
    _deliberate = True
    try:
        gc.collect()
    finally:
        _deliberate = False
    gc.freeze()
    log.debug("froze %d objects alive after startup", gc.get_freeze_count())


def tune(young_threshold: int) -> None:
    """For an API process whose app has just started: both of the above."""
    configure(young_threshold)
    freeze_startup_objects()

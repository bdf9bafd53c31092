"""Deterministic building blocks of the benchmark seed (``benchmarks/seed.py``, ``benchmarks/seed_conversations.py``):
time-ordered ids and skewed draws from seeded generators."""

from __future__ import annotations

import bisect
import itertools
import random
import uuid
from collections.abc import Sequence
from datetime import datetime


def uuid7_at(rng: random.Random, at: datetime) -> uuid.UUID:
    """A UUIDv7 whose timestamp is ``at`` (ms), random bits from ``rng``: time-ordered like ``salon.lib.ids``."""
    ms = int(at.timestamp() * 1000)
    value = (ms << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64) | (0b10 << 62) | rng.getrandbits(62)
    return uuid.UUID(int=value)


def zipf_cumulative(count: int, exponent: float) -> list[float]:
    """Cumulative weights of ranks ``0..count-1`` with weight ``1 / (rank + 1) ** exponent``."""
    return list(itertools.accumulate(1.0 / (rank + 1) ** exponent for rank in range(count)))


def draw(rng: random.Random, cumulative: Sequence[float]) -> int:
    return bisect.bisect_left(cumulative, rng.random() * cumulative[-1])


def distinct_draws(rng: random.Random, cumulative: Sequence[float], count: int, exclude: int) -> list[int]:
    """``count`` distinct ranks drawn by weight, never ``exclude``."""
    ranks = range(len(cumulative))
    count = min(count, len(cumulative) - 1)
    chosen: dict[int, None] = {}
    for _ in range(20):
        chosen.update(dict.fromkeys(rng.choices(ranks, cum_weights=cumulative, k=2 * (count - len(chosen)) + 1)))
        chosen.pop(exclude, None)
        if len(chosen) >= count:
            return list(chosen)[:count]
    # The heavy head is exhausted (a tiny population): fill the rest uniformly.
    rest = [rank for rank in ranks if rank not in chosen and rank != exclude]
    return [*chosen, *rng.sample(rest, count - len(chosen))]


def heavy_tailed(rng: random.Random, mean: float, boost: float = 1.0) -> int:
    """A non-negative count with the given mean (times ``boost``), exponentially distributed."""
    if mean <= 0:
        return 0
    return int(rng.expovariate(1.0 / (mean * boost)))

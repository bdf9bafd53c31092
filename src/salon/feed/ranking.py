"""All feed scoring in one place. Weights come from settings; docs/ranking.md explains each of them.

Three scorers share the same parts:

- ``ranked``: recency (exponential decay with a half-life) x engagement x the viewer's affinity with the author,
  replies down-weighted, posts the viewer reported as seen down-weighted.
- ``engagement``: weighted engagement alone (ties broken by recency), over a recent window.
- ``velocity`` (explore): engagement per hour of age, Hacker-News style.

Then one heuristic, ``diversify``, as in Twitter's home-mixer: each further post by the same author is discounted
(``decay ** n``, never below ``floor``), and no author fills more than ``feed_author_cap`` of any
``feed_author_window`` consecutive items while other authors still have candidates.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from salon.settings import Settings


class Scorable(Protocol):
    """What a post brings to scoring (``salon.feed.candidates.Candidate`` and explore rows fit)."""

    @property
    def created_at(self) -> datetime: ...
    @property
    def likes(self) -> int: ...
    @property
    def reposts(self) -> int: ...
    @property
    def quotes(self) -> int: ...
    @property
    def replies(self) -> int: ...


def age_hours(post: Scorable, now: datetime) -> float:
    return max((now - post.created_at).total_seconds() / 3600.0, 0.0)


def engagement(post: Scorable, settings: Settings) -> float:
    """Weighted engagement: replies > quotes > reposts > likes (by default)."""
    return (
        settings.feed_weight_like * post.likes
        + settings.feed_weight_repost * post.reposts
        + settings.feed_weight_quote * post.quotes
        + settings.feed_weight_reply * post.replies
    )


def recency(hours: float, half_life_hours: float) -> float:
    """1.0 now, 0.5 after one half-life, 0.25 after two ..."""
    return float(0.5 ** (hours / half_life_hours))


def affinity_multiplier(affinity: float, weight: float) -> float:
    """>1 for authors the viewer engages with, <1 for authors they asked to see less of, 1 for strangers.
    Logarithmic, so a hundred likes do not bury everyone else."""
    if affinity >= 0:
        return 1.0 + weight * math.log1p(affinity)
    return 1.0 / (1.0 + weight * math.log1p(-affinity))


def ranked_score(
    post: Scorable, *, is_reply: bool, affinity: float, seen: bool, now: datetime, settings: Settings
) -> float:
    score = recency(age_hours(post, now), settings.feed_recency_half_life_hours)
    score *= 1.0 + math.log1p(engagement(post, settings))
    score *= affinity_multiplier(affinity, settings.feed_weight_affinity)
    if is_reply:
        score *= settings.feed_reply_multiplier
    if seen:
        score *= settings.feed_seen_multiplier
    return score


def engagement_score(post: Scorable, settings: Settings) -> tuple[float, datetime]:
    """Sort key of the ``engagement`` algorithm: engagement, then the newer post first."""
    return (engagement(post, settings), post.created_at)


def velocity(post: Scorable, *, now: datetime, settings: Settings) -> float:
    """Explore: engagement per hour since posting. The +1 lets fresh posts without engagement rank by age."""
    return (engagement(post, settings) + 1.0) / (age_hours(post, now) + 2.0) ** settings.explore_gravity


T = TypeVar("T")


def diversify(
    items: Sequence[T], score: Callable[[T], float], author: Callable[[T], Hashable], settings: Settings
) -> list[T]:
    """Order ``items`` by score with author diversity applied.

    An author's n-th best post (n from 0) is multiplied by ``max(decay ** n, floor)``; since an author's posts keep
    their own order, the discount is known up front and one sort does it. Then the window rule: an item whose author
    already has ``feed_author_cap`` posts among the previous ``feed_author_window - 1`` items waits for the first
    place where it fits; if only such items are left they follow in order.
    """
    decay, floor = settings.feed_diversity_decay, settings.feed_diversity_floor
    base = sorted(items, key=score, reverse=True)
    seen_per_author: dict[Hashable, int] = {}
    discounted: list[tuple[float, int, T]] = []
    for index, item in enumerate(base):
        n = seen_per_author.get(author(item), 0)
        seen_per_author[author(item)] = n + 1
        discounted.append((score(item) * max(decay**n, floor), index, item))
    discounted.sort(key=lambda triple: (-triple[0], triple[1]))
    return _cap_authors(
        [item for _, _, item in discounted], author, settings.feed_author_cap, settings.feed_author_window
    )


def _cap_authors(ordered: list[T], author: Callable[[T], Hashable], cap: int, window: int) -> list[T]:
    result: list[T] = []
    in_window: Counter[Hashable] = Counter()  # authors of the last ``window - 1`` items of ``result``
    waiting = list(ordered)
    while waiting:
        pick = next((i for i, item in enumerate(waiting) if in_window[author(item)] < cap), 0)
        item = waiting.pop(pick)
        result.append(item)
        in_window[author(item)] += 1
        if window > 1 and len(result) >= window:
            in_window[author(result[-window])] -= 1
        elif window <= 1:
            in_window.clear()
    return result

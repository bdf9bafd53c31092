"""Per-user daily token accounting. Days are UTC; tokens are the provider's ``usageMetadata.totalTokenCount``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from salon.ai import schemas
from salon.ai.provider import Usage
from salon.ai.tables import AiUsageDay
from salon.lib.errors import RateLimited
from salon.settings import Settings

_ACCUMULATE = """
ON CONFLICT (owner, day) DO UPDATE SET
    prompt_tokens = ai_usage_days.prompt_tokens + EXCLUDED.prompt_tokens,
    output_tokens = ai_usage_days.output_tokens + EXCLUDED.output_tokens,
    total_tokens = ai_usage_days.total_tokens + EXCLUDED.total_tokens,
    requests = ai_usage_days.requests + 1
"""


def add_usage_sql(condition: str = "") -> str:
    """The statement adding one request's tokens to its owner's day; parameters: owner, day, prompt, output and total
    tokens. ``condition`` (``WHERE ...``, no parameters) lets it run as a CTE of a larger statement only when that
    statement's other parts say so."""
    return (
        "INSERT INTO ai_usage_days (id, owner, day, prompt_tokens, output_tokens, total_tokens, requests) "
        f"SELECT uuidv7(), {{}}::uuid, {{}}::date, {{}}::int, {{}}::int, {{}}::int, 1 {condition} {_ACCUMULATE}"
    )


RECORD_USAGE = add_usage_sql()


def today() -> date:
    return datetime.now(tz=UTC).date()


def next_reset(now: datetime | None = None) -> datetime:
    now = now or datetime.now(tz=UTC)
    return datetime.combine(now.date() + timedelta(days=1), time.min, tzinfo=UTC)


async def record(owner_id: str, usage: Usage) -> None:
    await AiUsageDay.raw(RECORD_USAGE, owner_id, today(), usage.prompt_tokens, usage.output_tokens, usage.total_tokens)


async def usage_today(owner_id: str, settings: Settings) -> schemas.AiUsage:
    row = (
        await AiUsageDay.select(
            AiUsageDay.prompt_tokens, AiUsageDay.output_tokens, AiUsageDay.total_tokens, AiUsageDay.requests
        )
        .where((AiUsageDay.owner == owner_id) & (AiUsageDay.day == today()))
        .first()
    )
    row = row or {"prompt_tokens": 0, "output_tokens": 0, "total_tokens": 0, "requests": 0}
    budget = settings.ai_daily_token_budget
    return schemas.AiUsage(
        day=today(),
        prompt_tokens=row["prompt_tokens"],
        output_tokens=row["output_tokens"],
        total_tokens=row["total_tokens"],
        requests=row["requests"],
        token_budget=budget,
        remaining_tokens=max(0, budget - row["total_tokens"]),
        resets_at=next_reset(),
    )


async def ensure_within_budget(owner_id: str, settings: Settings) -> None:
    """429 with the reset time once today's tokens reach the budget (the reply that crosses it is let through)."""
    ensure_budget_left((await usage_today(owner_id, settings)).total_tokens, settings)


def ensure_budget_left(tokens_today: int, settings: Settings) -> None:
    """``ensure_within_budget`` for a caller that has read today's tokens already (with other things it needed)."""
    budget = settings.ai_daily_token_budget
    if tokens_today < budget:
        return
    resets = next_reset()
    retry_after = int((resets - datetime.now(tz=UTC)).total_seconds()) + 1
    resets_at = resets.isoformat().replace("+00:00", "Z")  # as every other time in the API
    raise RateLimited(
        f"You have used today's AI budget of {budget} tokens. It resets at {resets_at} (midnight UTC).",
        retry_after=retry_after,
        extra={"code": "ai_quota_exceeded", "resets_at": resets_at, "token_budget": budget},
    )

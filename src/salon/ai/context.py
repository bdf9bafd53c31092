"""What the model sees: prior turns as Gemini ``contents`` within a token budget, with a rolling summary.

Messages up to ``context_summary_seq`` are represented by ``context_summary``. The newest turns after it are sent
verbatim while they fit the budget (``SALON_AI_CONTEXT_TOKEN_BUDGET``) and number at most
``SALON_AI_CONTEXT_MAX_TURNS``; older ones are left out of the prompt and ``roll_summary`` (a SAQ job) folds them into
the summary, so prompts stay bounded. The turn bound is about CPU, not the model: the SDK turns each turn of a request
into JSON in Python (~0.15 ms each, on the event loop), so 400 short turns that fit the token budget cost 60 ms.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from salon.ai import quota
from salon.ai.provider import SUMMARY_TASK, ProviderError, Turn, get_provider
from salon.ai.tables import Conversation, Message
from salon.lib.db import unit_of_work

log = logging.getLogger("salon.ai.context")

HISTORY_FETCH_LIMIT = 400  # a hard bound on rows read per prompt, even when the summary job is behind
SUMMARY_MAX_TOKENS = 800
COACH_SYSTEM_PROMPT = (
    "You are a warm, practical coach. Help the user make steady progress on their goals: ask what matters, suggest "
    "small concrete next steps, and keep answers short."
)
ROLLING_SUMMARY_INSTRUCTIONS = (
    f"{SUMMARY_TASK} You maintain the memory of a long conversation between a user and an AI assistant. Merge the "
    "previous summary (if any) and the new transcript into one concise summary that keeps names, facts, decisions, "
    "preferences and open questions. Write plain prose, at most 250 words."
)


def estimate_tokens(text: str) -> int:
    return (len(text) + 3) // 4


def message_tokens(row: dict[str, Any]) -> int:
    if row["role"] == "model" and row["output_tokens"]:
        return int(row["output_tokens"])
    return estimate_tokens(row["content"])


@dataclass
class Prompt:
    turns: list[Turn]
    system: str | None
    overflow: bool  # older turns were left out: the rolling summary should advance


ContextProvider = Callable[[dict[str, Any]], Awaitable[str | None]]
CONTEXT_PROVIDERS: dict[str, list[ContextProvider]] = {}


def context_provider(kind: str) -> Callable[[ContextProvider], ContextProvider]:
    """Register ``async def provider(conversation_row) -> str | None``: text appended to the system instruction of
    every conversation of ``kind`` on each reply (the goals package gives ``coach`` conversations the user's goals).
    Providers keep their text bounded; one that fails is logged and left out, never failing the reply."""

    def register(provider: ContextProvider) -> ContextProvider:
        CONTEXT_PROVIDERS.setdefault(kind, []).append(provider)
        return provider

    return register


def base_instruction(conversation: dict[str, Any]) -> str | None:
    if conversation["system_prompt"]:
        return str(conversation["system_prompt"])
    if conversation["kind"] == "coach":
        return COACH_SYSTEM_PROMPT
    return None


async def system_instruction(conversation: dict[str, Any]) -> str | None:
    """The conversation's own instruction, then what the context providers of its kind add."""
    parts = [base_instruction(conversation)]
    for provider in CONTEXT_PROVIDERS.get(conversation["kind"], []):
        try:
            parts.append(await provider(conversation))
        except Exception:
            log.exception("context provider %s failed for conversation %s", provider.__name__, conversation["id"])
    return "\n\n".join(part for part in parts if part) or None


def summary_turns(summary: str) -> list[Turn]:
    return [
        Turn(role="user", text=f"(Summary of our conversation so far)\n{summary}"),
        Turn(role="model", text="Understood: I will continue from that summary."),
    ]


async def history(
    conversation: dict[str, Any], before_seq: int, limit: int = HISTORY_FETCH_LIMIT
) -> list[dict[str, Any]]:
    """Up to ``limit`` turns after the summary and before ``before_seq``, newest first, skipping empty (failed at
    once) replies."""
    return await (
        Message.select(Message.seq, Message.role, Message.content, Message.output_tokens)
        .where(
            (Message.conversation == conversation["id"])
            & (Message.seq > conversation["context_summary_seq"])
            & (Message.seq < before_seq)
            & (Message.status != "streaming")
            & (Message.content != "")
        )
        .order_by(Message.seq, ascending=False)
        .limit(limit)
    )


def fit_to_budget(
    newest_first: list[dict[str, Any]], budget: int, max_turns: int = HISTORY_FETCH_LIMIT
) -> tuple[list[dict[str, Any]], bool]:
    """Keep the newest turns whose tokens fit ``budget``, at most ``max_turns`` of them (always the newest one), oldest
    first; report whether any of ``newest_first`` were left out."""
    kept: list[dict[str, Any]] = []
    used = 0
    for row in newest_first:
        cost = message_tokens(row)
        if kept and (used + cost > budget or len(kept) >= max_turns):
            return list(reversed(kept)), True
        kept.append(row)
        used += cost
    return list(reversed(kept)), False


async def build_prompt(conversation: dict[str, Any], before_seq: int, budget: int, max_turns: int) -> Prompt:
    """The prompt for the reply at ``before_seq``: summary, then the newest turns that fit, oldest first. ``overflow``
    says that older turns exist beyond the prompt (a turn more than the prompt may hold is read to know)."""
    summary = conversation["context_summary"]
    summary_cost = estimate_tokens(summary) if summary else 0
    limit = min(max_turns + 1, HISTORY_FETCH_LIMIT)
    newest_first = await history(conversation, before_seq, limit)
    rows, dropped = fit_to_budget(newest_first, max(1, budget - summary_cost), max_turns)
    overflow = dropped or len(newest_first) >= limit
    while rows and rows[0]["role"] == "model" and not summary:  # a prompt opens with the user's words
        rows = rows[1:]
    turns = summary_turns(summary) if summary else []
    turns.extend(Turn(role=row["role"], text=row["content"]) for row in rows)
    return Prompt(turns=turns, system=await system_instruction(conversation), overflow=overflow)


async def roll_summary(conversation_id: uuid.UUID, budget: int, max_turns: int) -> bool:
    """Fold the turns beyond half the budget (tokens and turns) into the rolling summary, so prompts have room to
    grow before the next roll. Idempotent: the update only applies when the summary has not moved meanwhile. Returns
    whether the summary advanced."""
    conversation = await Conversation.select().where(Conversation.id == conversation_id).first()
    if conversation is None:
        return False
    newest_first = await history(conversation, conversation["message_count"] + 1)
    kept, _ = fit_to_budget(newest_first, max(1, budget // 2), max(1, max_turns // 2))
    first_kept_seq = kept[0]["seq"] if kept else conversation["message_count"] + 1
    folded = [row for row in reversed(newest_first) if row["seq"] < first_kept_seq]
    if not folded:
        return False
    transcript = "\n".join(f"{'User' if row['role'] == 'user' else 'AI'}: {row['content']}" for row in folded)
    previous = conversation["context_summary"]
    request = f"Previous summary:\n{previous or '(none)'}\n\nNew transcript:\n{transcript}"
    provider = await get_provider()
    try:
        text, usage = await provider.complete(
            [Turn(role="user", text=request)], system=ROLLING_SUMMARY_INSTRUCTIONS, max_tokens=SUMMARY_MAX_TOKENS
        )
    except ProviderError:
        log.warning("rolling summary of %s failed; the job will retry", conversation_id, exc_info=True)
        raise
    async with unit_of_work():
        await quota.record(str(conversation["owner"]), usage)
        updated = (
            await Conversation.update(
                {Conversation.context_summary: text, Conversation.context_summary_seq: folded[-1]["seq"]}
            )
            .where(
                (Conversation.id == conversation_id)
                & (Conversation.context_summary_seq == conversation["context_summary_seq"])
            )
            .returning(Conversation.id)
        )
    return bool(updated)

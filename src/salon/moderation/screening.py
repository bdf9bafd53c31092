"""Screening new content, in the worker: cheap local checks first, then the model with structured output.

What is screened (subject types): ``post`` (posts and replies), ``bio`` (a profile bio; the subject id is the bio's
``users.bio_version``, so a hold belongs to that text) and ``message`` (a chat message to a stranger). The jobs that
pick them are in ``salon.moderation.jobs``.

- Local checks (link spam, the same text posted again and again, the configured word list): a hit hides the content
  pending review and queues it; the model is not asked.
- The model answers ``{is_safe, category, confidence, reason}`` (JSON mode with a response schema, through the AI
  package's provider and its google-genai client). Unsafe at or above ``SALON_MODERATION_HIDE_THRESHOLD``: hidden
  pending review and queued; unsafe below it: queued, still visible.
- The model failing (an error, a timeout, an answer that is not the schema) queues the content for human review:
  nothing passes silently. While the offline model answers (no GEMINI_API_KEY) only the local checks run.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from dataclasses import dataclass

import msgspec
from google.genai import types

from salon.ai.provider import as_provider_error, get_provider
from salon.lib.db import unit_of_work
from salon.lib.ids import new_id
from salon.moderation.schemas import Verdict
from salon.moderation.tables import ModerationItem
from salon.settings import Settings

log = logging.getLogger("salon.moderation")

LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
KINDS = {"post": "post", "bio": "profile bio", "message": "private chat message to someone who does not know them"}
SYSTEM_PROMPT = (
    "You are a content moderator for a social network. Classify the user's {kind}. Answer only with JSON matching "
    "the schema: is_safe (true unless it is spam, hate, harassment, violence, sexual content or self-harm "
    "promotion), category (the best fitting one; 'other' when safe), confidence (0 to 1, how sure you are of the "
    "category), reason (one short sentence)."
)
VERDICT_SCHEMA = types.Schema(
    type=types.Type.OBJECT,
    properties={
        "is_safe": types.Schema(type=types.Type.BOOLEAN),
        "category": types.Schema(
            type=types.Type.STRING,
            enum=["spam", "hate", "harassment", "violence", "sexual", "self_harm", "other"],
        ),
        "confidence": types.Schema(type=types.Type.NUMBER),
        "reason": types.Schema(type=types.Type.STRING),
    },
    required=["is_safe", "category", "confidence", "reason"],
)


@dataclass(frozen=True)
class Subject:
    """Content to screen: what it is, who wrote it, and its text."""

    type: str
    id: uuid.UUID
    author_id: uuid.UUID
    text: str


@dataclass(frozen=True)
class Flag:
    source: str
    category: str
    reason: str
    confidence: float | None = None
    hide: bool = True


# Local checks ------------------------------------------------------------------------------------------------------


def word_list(settings: Settings) -> list[str]:
    return [word.strip().lower() for word in settings.moderation_word_list.split(",") if word.strip()]


def local_flag(text: str, settings: Settings, repeats: int) -> Flag | None:
    """The first local rule ``text`` breaks; ``repeats`` is how often its author posted this text within a day."""
    links = len(LINK.findall(text))
    if links > settings.moderation_max_links:
        return Flag("local", "spam", f"{links} links in one text (more than {settings.moderation_max_links}).")
    if repeats >= settings.moderation_repeat_limit:
        return Flag("local", "spam", f"The same text was posted {repeats} times within a day.")
    lowered = text.lower()
    for word in word_list(settings):
        if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", lowered):
            return Flag("local", "other", f"Contains a listed word or phrase ({word!r}).")
    return None


# The model ---------------------------------------------------------------------------------------------------------


async def ask_model(text: str, subject_type: str = "post") -> Verdict | None:
    """The model's verdict on ``text`` (a ``subject_type``: post, bio or message); None when the offline model
    answers (no API key). Raises ``ProviderError`` (or ``msgspec.ValidationError`` for an answer off the schema) when
    screening failed."""
    provider = await get_provider()
    if provider.offline:
        return None
    try:
        async with asyncio.timeout(provider.timeout):
            response = await provider.client.aio.models.generate_content(
                model=provider.model,
                contents=[types.Content(role="user", parts=[types.Part(text=text)])],
                config=types.GenerateContentConfig(
                    system_instruction=SYSTEM_PROMPT.format(kind=KINDS.get(subject_type, subject_type)),
                    response_mime_type="application/json",
                    response_schema=VERDICT_SCHEMA,
                    temperature=0.0,
                    # No tools: the SDK's automatic function calling would only copy the config and log a line a call.
                    automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
                ),
            )
    except Exception as exc:
        raise as_provider_error(exc) from exc
    return msgspec.json.decode(response.text or "", type=Verdict)


def model_flag(verdict: Verdict, settings: Settings) -> Flag | None:
    if verdict.is_safe:
        return None
    hide = verdict.confidence >= settings.moderation_hide_threshold
    return Flag("ai", verdict.category, verdict.reason, verdict.confidence, hide=hide)


# Screening ---------------------------------------------------------------------------------------------------------


async def screen(subject: Subject, settings: Settings, repeats: int) -> Flag | None:
    """Decide whether ``subject`` needs review, record it if so, and return the flag (None: it passed)."""
    flag = local_flag(subject.text, settings, repeats)
    if flag is None and settings.moderation_ai_enabled:
        try:
            verdict = await ask_model(subject.text, subject.type)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            flag = _failure(f"The model's answer was not a verdict ({exc}).")
        except Exception as exc:
            flag = _failure(f"Screening failed: {as_provider_error(exc).detail}")
        else:
            flag = model_flag(verdict, settings) if verdict else None
    if flag is not None:
        await record(subject, flag)
    return flag


def _failure(reason: str) -> Flag:
    log.warning("AI screening failed; queued for human review: %s", reason)
    return Flag("provider_failure", "other", reason, hide=False)


async def record(subject: Subject, flag: Flag) -> None:
    """Queue ``flag`` about ``subject`` (once per source: a retried screening adds nothing) and hide it if asked."""
    async with unit_of_work():
        exists = await ModerationItem.raw(
            "SELECT 1 FROM moderation_items WHERE subject_type = {} AND subject_id = {} AND source = {} LIMIT 1",
            subject.type, subject.id, flag.source,
        )  # fmt: skip
        if exists:
            return
        await ModerationItem.raw(
            "INSERT INTO moderation_items (id, subject_type, subject_id, author_id, source, category, confidence, "
            "reason, note, state, created_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, '', 'open', now())",
            new_id(), subject.type, subject.id, subject.author_id, flag.source, flag.category, flag.confidence,
            flag.reason,
        )  # fmt: skip
        if flag.hide:
            await ModerationItem.raw(
                "INSERT INTO moderation_holds (id, subject_type, subject_id, state, created_at) "
                "VALUES ({}, {}, {}, 'hidden', now()) ON CONFLICT (subject_type, subject_id) DO NOTHING",
                new_id(), subject.type, subject.id,
            )  # fmt: skip

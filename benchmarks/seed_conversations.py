"""The talking half of the benchmark seed: private AI conversations and human chats, as ``salon.ai`` and
``salon.chat`` write them.

- **AI conversations**: each user has about ``SeedSize.conversations`` of them (exponentially distributed), each
  about ``SeedSize.exchanges`` exchanges long (a user message, then the model's finished reply). ``message_count`` is
  the last ``seq``, titles are set (the title job runs after the first exchange), replies carry token counts and a
  first-token time, and ``ai_usage_days`` holds what those replies spent per owner and UTC day.
- **Chats**: each user starts about ``SeedSize.chats`` direct chats with people they follow, and a
  ``SeedSize.group_share`` of users start a group of 3-8 with people they follow (its first message is the
  ``created`` system message). ``last_seq``, ``last_message_id``, ``last_activity_at`` and ``member_count`` match the
  rows; a sender's read marker moves to each message they send, and every forward move is a ``chat_read_marks`` row.

Everything is planned from ``random.Random`` streams of its own (``{seed}:conversations``, ``{seed}:chats``), so the
posts and follows of a seed stay what they were before this half existed.
"""

# ruff: noqa: S311 - deterministic benchmark data from seeded generators, never secrets

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import msgspec
from benchmarks.seed_draws import heavy_tailed, uuid7_at

from salon.chat.schemas import SystemInfo

TOPICS = (
    "how to learn", "plan a trip to", "explain", "write a poem about", "compare", "debug my", "ideas for",
    "summarise", "what is the history of", "help me train for",
)  # fmt: skip
SUBJECTS = (
    "rust", "postgres", "jazz", "lisbon", "sourdough", "marathons", "black holes", "chess openings", "watercolour",
    "climate models", "the french revolution", "kubernetes", "birdwatching", "stoicism", "espresso",
)  # fmt: skip
GROUP_NAMES = ("book club", "running crew", "weekend plans", "study group", "coffee lovers", "project team")
CHAT_LINES = (
    "hey, are you around later?", "did you see that post?", "haha yes", "sounds good to me", "on my way",
    "can you send me the link?", "that conversation with the AI was wild", "let's do friday", "thanks!",
    "I published the thread, have a look", "ok", "see you there", "what time works for you?",
)  # fmt: skip


@dataclass
class ConversationRows:
    conversations: list[tuple[object, ...]] = field(default_factory=list)
    messages: list[tuple[object, ...]] = field(default_factory=list)
    usage_days: list[tuple[object, ...]] = field(default_factory=list)


@dataclass
class ChatRows:
    chats: list[tuple[object, ...]] = field(default_factory=list)
    members: list[tuple[object, ...]] = field(default_factory=list)
    messages: list[tuple[object, ...]] = field(default_factory=list)
    read_marks: list[tuple[object, ...]] = field(default_factory=list)


CONVERSATION_COLUMNS = [
    "id", "owner", "kind", "title", "title_set_by_user", "system_prompt", "message_count", "context_summary",
    "context_summary_seq", "created_at", "updated_at",
]  # fmt: skip
AI_MESSAGE_COLUMNS = [
    "id", "conversation", "seq", "role", "content", "status", "prompt_tokens", "output_tokens", "total_tokens",
    "first_token_ms", "created_at", "completed_at",
]  # fmt: skip
USAGE_DAY_COLUMNS = ["id", "owner", "day", "prompt_tokens", "output_tokens", "total_tokens", "requests"]
CHAT_COLUMNS = [
    "id", "kind", "name", "direct_key", "created_by", "last_seq", "last_message_id", "last_activity_at",
    "member_count", "created_at",
]  # fmt: skip
CHAT_MEMBER_COLUMNS = ["id", "chat", "member", "role", "joined_seq", "last_read_seq", "last_read_at", "joined_at"]
CHAT_MESSAGE_COLUMNS = ["id", "chat", "seq", "kind", "sender", "content", "system", "media_ids", "created_at"]
READ_MARK_COLUMNS = ["id", "chat", "reader", "up_to_seq", "read_at"]


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)  # what Gemini's usage metadata reports, roughly, for English


def _start(rng: random.Random, anchor: datetime, span: timedelta) -> datetime:
    """A moment in the seed's span, at least an hour before its end (so a chat's messages fit before ``anchor``)."""
    return anchor - span + (span - timedelta(hours=1)) * rng.random()


def plan_conversations(
    seed: int, user_ids: Sequence[uuid.UUID], anchor: datetime, span: timedelta, per_user: float, exchanges: float
) -> ConversationRows:
    rng = random.Random(f"{seed}:conversations")
    rows = ConversationRows()
    usage: dict[tuple[uuid.UUID, object], list[int]] = {}
    for owner in user_ids:
        for _ in range(heavy_tailed(rng, per_user)):
            at = _start(rng, anchor, span)
            conversation_id = uuid7_at(rng, at)
            subject = rng.choice(SUBJECTS)
            title = f"{rng.choice(TOPICS).capitalize()} {subject}"
            seq, context, created = 0, 0, at
            for _ in range(1 + heavy_tailed(rng, exchanges - 1)):
                question = f"{rng.choice(TOPICS)} {subject}, {rng.choice(CHAT_LINES)}"
                answer = " ".join(f"{rng.choice(TOPICS).capitalize()} {subject} starts with {rng.choice(SUBJECTS)}."
                                  for _ in range(rng.randint(2, 12)))  # fmt: skip
                first_token_ms, took = rng.randint(150, 900), timedelta(seconds=rng.uniform(1, 12))
                context += _tokens(question)
                prompt, output = context, _tokens(answer)
                context += output
                rows.messages.append(
                    (uuid7_at(rng, at), conversation_id, seq + 1, "user", question, "complete", 0, 0, 0, None, at, at)
                )
                rows.messages.append(
                    (uuid7_at(rng, at), conversation_id, seq + 2, "model", answer, "complete", prompt, output,
                     prompt + output, first_token_ms, at, at + took)
                )  # fmt: skip
                day = usage.setdefault((owner, at.date()), [0, 0, 0])
                day[0], day[1], day[2] = day[0] + prompt, day[1] + output, day[2] + 1
                seq, at = seq + 2, min(at + took + timedelta(seconds=rng.expovariate(1 / 90)), anchor)
            rows.conversations.append(
                (conversation_id, owner, "chat", title, False, "", seq, "", 0, created, at)
            )  # fmt: skip
    for (owner, day), (prompt, output, requests) in usage.items():
        rows.usage_days.append(
            (uuid.UUID(int=rng.getrandbits(128)), owner, day, prompt, output, prompt + output, requests)
        )
    return rows


class _Chat:
    """One chat being written: its members' read markers move as they send and read."""

    def __init__(self, rows: ChatRows, rng: random.Random, chat_id: uuid.UUID, members: list[uuid.UUID]) -> None:
        self.rows, self.rng, self.chat_id = rows, rng, chat_id
        self.seq, self.last_id, self.read = 0, None, {member: (0, None) for member in members}

    def append(self, at: datetime, sender: uuid.UUID | None, content: str, system: SystemInfo | None = None) -> None:
        self.seq += 1
        self.last_id = uuid7_at(self.rng, at)
        encoded = msgspec.json.encode(system).decode() if system else None
        kind = "system" if system else "text"
        self.rows.messages.append((self.last_id, self.chat_id, self.seq, kind, sender, content, encoded, [], at))
        if sender is not None:
            self.mark_read(sender, self.seq, at)  # what you answer, you have read

    def mark_read(self, member: uuid.UUID, seq: int, at: datetime) -> None:
        if seq > self.read[member][0]:
            self.read[member] = (seq, at)
            self.rows.read_marks.append((uuid7_at(self.rng, at), self.chat_id, member, seq, at))


def plan_chats(
    seed: int,
    users: tuple[Sequence[uuid.UUID], Sequence[str]],
    following: Sequence[Sequence[int]],
    anchor: datetime,
    span: timedelta,
    sizes: tuple[float, float, float],
) -> ChatRows:
    """``users``: ids and usernames by index. ``sizes``: direct chats started per user, messages per chat, share of
    users who start a group (means)."""
    (user_ids, usernames), (per_user, per_chat, group_share) = users, sizes
    rng = random.Random(f"{seed}:chats")
    rows, keys = ChatRows(), set[str]()
    for index, followees in enumerate(following):
        creator = user_ids[index]
        chats = [[other] for other in rng.sample(followees, min(len(followees), heavy_tailed(rng, per_user)))]
        if len(followees) >= 2 and rng.random() < group_share:
            chats.append(rng.sample(followees, min(len(followees), rng.randint(2, 7))))
        for invited in chats:
            key = ":".join(sorted((str(creator), str(user_ids[invited[0]])))) if len(invited) == 1 else None
            if key is not None:
                if key in keys:
                    continue  # they already have their direct chat
                keys.add(key)
            named = {user_ids[other]: usernames[other] for other in invited}
            _write_chat(rows, rng, (creator, named, key), anchor, span, per_chat)
    return rows


def _write_chat(
    rows: ChatRows,
    rng: random.Random,
    who: tuple[uuid.UUID, dict[uuid.UUID, str], str | None],
    anchor: datetime,
    span: timedelta,
    per_chat: float,
) -> None:
    creator, invited, direct_key = who
    at = created = _start(rng, anchor, span)
    members = [creator, *invited]
    chat = _Chat(rows, rng, uuid7_at(rng, at), members)
    name = None if direct_key else f"{rng.choice(GROUP_NAMES)} {rng.randint(1, 99)}"
    if name is not None:
        info = SystemInfo(action="created", actor_id=str(creator), user_ids=[str(u) for u in invited],
                          usernames=list(invited.values()), name=name)  # fmt: skip
        chat.append(at, None, "", info)
    for _ in range(1 + heavy_tailed(rng, per_chat - 1)):
        at = min(at + timedelta(seconds=rng.expovariate(1 / 600)), anchor)
        chat.append(at, rng.choice(members), rng.choice(CHAT_LINES))
    for member in members:
        if rng.random() < 0.7:  # most have caught up; the others stopped somewhere
            chat.mark_read(member, chat.seq, at)
        else:
            chat.mark_read(member, rng.randint(0, chat.seq), at)
    rows.chats.append(
        (chat.chat_id, "group" if name else "direct", name, direct_key, creator, chat.seq, chat.last_id, at,
         len(members), created)
    )  # fmt: skip
    for member in members:
        read_seq, read_at = chat.read[member]
        role = "admin" if name and member == creator else "member"
        rows.members.append((uuid7_at(rng, created), chat.chat_id, member, role, 0, read_seq, read_at, created))

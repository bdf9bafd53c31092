"""Hashtags and mentions in post text, with their character offsets.

Offsets count Unicode code points (Python ``str`` indices) in the stored, trimmed content; ``end`` is exclusive and
the span includes the ``#``/``@``. Clients working in UTF-16 (JavaScript) must convert.

- A hashtag is ``#`` followed by Unicode letters, digits, marks or underscores with at least one letter, not preceded
  by a word character (``a#b`` is not a tag). Tags compare case-insensitively (``casefold``).
- A mention is ``@`` followed by a username (letters, digits, underscore, 3-30 long); ``@someone`` of an unknown user
  stays plain text, which the caller decides after looking the names up.
"""

from __future__ import annotations

import re

import msgspec

HASHTAG = re.compile(r"(?<![\w#&])#(\w*[^\W\d_]\w*)")
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{3,30})(?![A-Za-z0-9_@])")
MAX_TAG_LENGTH = 100


class HashtagEntity(msgspec.Struct, frozen=True):
    tag: str  # case-folded, without '#': what the post is filed under
    text: str  # as written, without '#'
    start: int
    end: int


class MentionEntity(msgspec.Struct, frozen=True):
    user_id: str
    username: str  # the user's canonical spelling
    start: int
    end: int


class Entities(msgspec.Struct, frozen=True):
    hashtags: list[HashtagEntity] = []
    mentions: list[MentionEntity] = []

    @property
    def tags(self) -> list[str]:
        """Distinct tags in order of first appearance."""
        return list(dict.fromkeys(entity.tag for entity in self.hashtags))

    @property
    def mentioned_ids(self) -> list[str]:
        return list(dict.fromkeys(entity.user_id for entity in self.mentions))


def find_hashtags(content: str) -> list[HashtagEntity]:
    return [
        HashtagEntity(tag=match.group(1).casefold(), text=match.group(1), start=match.start(), end=match.end())
        for match in HASHTAG.finditer(content)
        if len(match.group(1)) <= MAX_TAG_LENGTH
    ]


def find_mention_candidates(content: str) -> list[tuple[str, int, int]]:
    """``(username, start, end)`` for every ``@name`` that could be a mention."""
    return [(match.group(1), match.start(), match.end()) for match in MENTION.finditer(content)]


def build_entities(content: str, known_users: dict[str, tuple[str, str]]) -> Entities:
    """Entities of ``content``; ``known_users`` maps a lower-cased username to ``(user_id, username)``."""
    mentions = [
        MentionEntity(user_id=known_users[name.lower()][0], username=known_users[name.lower()][1], start=start, end=end)
        for name, start, end in find_mention_candidates(content)
        if name.lower() in known_users
    ]
    return Entities(hashtags=find_hashtags(content), mentions=mentions)

"""Reading a user's event log (the Valkey Stream that ``salon.lib.events.publish`` appends to).

A resume point is a stream id (``"{ms}-{seq}"``). ``read_after`` takes one atomic snapshot: the entries after the
resume point plus what is needed to tell whether events after it may already have been trimmed, in which case the
client must reload its state (a ``refetch`` event) instead of trusting a replay with a hole in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from salon.lib import events
from salon.lib import valkey as valkey_client
from salon.lib.errors import AppError

MAX_SEQ = 2**64 - 1
_STREAM_ID = re.compile(r"^(\d{1,20})(?:-(\d{1,20}))?$")

# One atomic read: server time, whether the log exists, how many entries it holds against how many were ever added
# (more added than held: some were trimmed), its first and last ids, and the entries after ARGV[1] (if given).
_READ_AFTER = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {string.format('%d', now_ms), 0}
end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
local length, added, last_id = 0, 0, ''
for i = 1, #info, 2 do
  if info[i] == 'length' then length = info[i + 1]
  elseif info[i] == 'entries-added' then added = info[i + 1]
  elseif info[i] == 'last-generated-id' then last_id = info[i + 1] end
end
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
local first_id = ''
if first[1] then first_id = first[1][1] end
local entries = {}
if ARGV[1] ~= '' then
  entries = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', ARGV[2])
end
return {string.format('%d', now_ms), 1, length, added, first_id, last_id, entries}
"""


class InvalidEventId(AppError):
    status_code = 400
    title = "Invalid Last-Event-ID"


@dataclass(frozen=True, order=True)
class StreamId:
    ms: int
    seq: int

    @classmethod
    def parse(cls, value: str) -> StreamId:
        match = _STREAM_ID.match(value.strip())
        if match is None:
            raise InvalidEventId(
                f"{value!r} is not an event id. Send back the id: of the last event you received, exactly as sent.",
                extra={"code": "invalid_event_id"},
            )
        return cls(int(match.group(1)), int(match.group(2) or 0))

    def __str__(self) -> str:
        return f"{self.ms}-{self.seq}"


@dataclass(frozen=True)
class LogEntry:
    id: StreamId
    name: str
    payload: str


@dataclass(frozen=True)
class Snapshot:
    """What ``read_after`` saw. ``tail`` is the newest id in the log, or a stand-in for "now" when it is empty."""

    entries: list[LogEntry]
    tail: StreamId
    refetch: bool


async def read_after(user_id: str, after: StreamId | None, *, max_age_ms: int, max_entries: int) -> Snapshot:
    """The events of ``user_id`` after ``after`` (none when ``after`` is None: a fresh stream starts at the tail)."""
    call = read_after_call(user_id, after, max_entries=max_entries)
    return snapshot_from_reply(await call.script(keys=call.keys, args=call.args), after, max_age_ms=max_age_ms)


def read_after_call(user_id: str, after: StreamId | None, *, max_entries: int) -> valkey_client.ScriptCall:
    """``read_after``'s read as one script call, for a caller that sends it in a pipeline with other script calls
    (``salon.lib.valkey.run_scripts``); its reply goes to ``snapshot_from_reply`` with the same ``after``."""
    return valkey_client.ScriptCall(
        valkey_client.script(_READ_AFTER),
        [events.user_log_key(user_id)],
        [str(after) if after else "", max_entries],
        "event log read",
    )


def snapshot_from_reply(reply: list[Any], after: StreamId | None, *, max_age_ms: int) -> Snapshot:
    """What a ``read_after_call(user_id, after, ...)`` read: the snapshot ``read_after`` returns."""
    # "Now" as a resume point: after everything added before this millisecond, before anything added from it on.
    now = StreamId(int(reply[0]) - 1, MAX_SEQ)
    if not int(reply[1]):  # no log: it expired (every entry older than the age bound) or never existed
        lost = after is not None and (after.ms < now.ms - max_age_ms or after > now)
        return Snapshot([], now, refetch=lost)
    length, added, first_id, last_id, raw_entries = int(reply[2]), int(reply[3]), reply[4], reply[5], reply[6]
    tail = StreamId.parse(last_id) if last_id else now
    if after is None:
        return Snapshot([], tail, refetch=False)
    if after > max(tail, now):  # an id this log never issued (not ours, or the log was lost): reload
        return Snapshot([], tail, refetch=True)
    if _may_have_lost_events(after, first_id, trimmed=added > length, now=now, max_age_ms=max_age_ms):
        return Snapshot([], tail, refetch=True)
    return Snapshot([_entry(raw) for raw in raw_entries], tail, refetch=False)


def _may_have_lost_events(after: StreamId, first_id: str, *, trimmed: bool, now: StreamId, max_age_ms: int) -> bool:
    if first_id and after >= StreamId.parse(first_id):
        return False  # everything after the resume point is still in the log
    if trimmed:
        return True  # entries before the oldest retained one were removed, and the resume point is among them
    # Nothing was trimmed from this log, but an earlier one may have expired after the resume point.
    return after.ms < now.ms - max_age_ms


def _entry(raw: list[Any]) -> LogEntry:
    entry_id, flat_fields = raw
    fields = dict(zip(flat_fields[::2], flat_fields[1::2], strict=True))
    return LogEntry(StreamId.parse(entry_id), fields["event"], fields["data"])

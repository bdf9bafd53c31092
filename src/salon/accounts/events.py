"""Domain events of accounts, for other packages to subscribe to (``@salon.lib.events.subscriber(name)``)."""

from __future__ import annotations

import msgspec

from salon.lib.events import event_type


@event_type("user.deactivated")
class UserDeactivated(msgspec.Struct, frozen=True):
    """The user deactivated their account: hide what they made. Their rows still exist for the retention period."""

    user_id: str


@event_type("user.purged")
class UserPurged(msgspec.Struct, frozen=True):
    """The retention period of a deactivated account ended and its users row was deleted (FKs cascade): drop any
    derived data kept outside Postgres (timelines, caches)."""

    user_id: str


@event_type("user.bio_changed")
class UserBioChanged(msgspec.Struct, frozen=True):
    """The user set a new, non-empty bio, identified by ``bio_version`` (a fresh id per change). Emitted after commit
    only when the text really changed; a subscriber that finds another version current skips this one."""

    user_id: str
    bio_version: str

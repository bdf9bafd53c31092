"""Client-facing events of media (see docs/api.md, "Media")."""

from __future__ import annotations

import msgspec

from salon.lib.events import event_type
from salon.media.schemas import MediaView


@event_type("media.processed")
class MediaProcessed(msgspec.Struct, frozen=True):
    """Sent to the uploader when an upload is ``ready`` (usable in posts and profiles) or ``failed``."""

    media: MediaView

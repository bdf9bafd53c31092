"""The base of every request body: unknown fields are rejected (a typo such as ``pasword`` is a 400 naming the field,
never silently ignored), and fields are keyword-only so optional ones can come in any order."""

from __future__ import annotations

import msgspec


class RequestBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Subclass for every JSON request body and give each field limits with ``msgspec.Meta``."""

from __future__ import annotations

from tests.social.conftest import emitted, make_users

__all__ = ["emitted", "make_users"]

"""Indexes for timelines, threads, quotes, likes/reposts lists, bookmarks, hashtags and mentions."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T01:39:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "timeline, thread and list indexes"

INDEXES = {
    "posts_author_id_desc": "posts (author, id DESC)",
    "posts_author_top_level_id_desc": "posts (author, id DESC) WHERE reply_to_id IS NULL AND deleted_at IS NULL",
    "posts_reply_to_id": "posts (reply_to_id, id) WHERE reply_to_id IS NOT NULL",
    "posts_quote_of_id_desc": "posts (quote_of_id, id DESC) WHERE quote_of_id IS NOT NULL",
    "post_edits_post_id_desc": "post_edits (post, id DESC)",
    "post_hashtags_tag_post_desc": "post_hashtags (tag, post DESC)",
    "post_mentions_mentioned_post_desc": "post_mentions (mentioned, post DESC)",
    "likes_post_id_desc": "likes (post, id DESC)",
    "reposts_post_id_desc": "reposts (post, id DESC)",
    "bookmarks_owner_id_desc": "bookmarks (owner, id DESC)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="posts", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for name, target in INDEXES.items():
            await engine.run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")

    async def drop_indexes():
        engine = engine_finder()
        for name in INDEXES:
            await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager

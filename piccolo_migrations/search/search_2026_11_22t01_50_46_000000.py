"""Search on Postgres: a generated full-text column on posts with a GIN index, trigram indexes on usernames and
display names (pg_trgm), and a prefix index on hashtags.

``posts.search_vector`` belongs to the search app although it sits on the posts table: it is derived from
``content`` (English stemming weighted above exact 'simple' tokens, so words of other languages still match) and
Piccolo's ``Post`` model does not declare it, so nothing but search reads it.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T01:50:46:000000"
VERSION = "1.38.0"
DESCRIPTION = "full-text column on posts, trigram and prefix indexes"

FORWARDS = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE posts ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english'::regconfig, content), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, content), 'B')) STORED",
    "CREATE INDEX IF NOT EXISTS posts_search_vector ON posts USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS users_username_key_trgm ON users USING gin (username_key gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS users_display_name_trgm ON users USING gin (lower(display_name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS post_hashtags_tag_prefix ON post_hashtags (tag text_pattern_ops)",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS post_hashtags_tag_prefix",
    "DROP INDEX IF EXISTS users_display_name_trgm",
    "DROP INDEX IF EXISTS users_username_key_trgm",
    "DROP INDEX IF EXISTS posts_search_vector",
    "ALTER TABLE posts DROP COLUMN IF EXISTS search_vector",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="search", description=DESCRIPTION)

    async def run(statements):
        engine = engine_finder()
        for statement in statements:
            await engine.run_ddl(statement)

    async def apply():
        await run(FORWARDS)

    async def revert():
        await run(BACKWARDS)

    manager.add_raw(apply)
    manager.add_raw_backwards(revert)
    return manager

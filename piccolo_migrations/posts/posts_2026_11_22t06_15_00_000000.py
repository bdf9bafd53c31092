"""hashtag_counts: how many live public posts use each hashtag, kept by triggers on posts and post_hashtags.

The hashtag prefix search (``salon.search``) counted matching posts at query time: 142 ms for a popular prefix at
200,000 posts (benchmarks/RESULTS.md). A post counts while it is public and not deleted:
- a hashtag row added to / removed from a counted post adds / removes one;
- a post becoming (un)counted (soft delete, a visibility edit) moves all its tags;
- a post deleted outright (an account purge cascades) is uncounted before its hashtag rows go.
``tag`` uses the "C" collation so the prefix range is an index range.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T06:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hashtag_counts kept by triggers"

FORWARDS = [
    """
    CREATE TABLE IF NOT EXISTS hashtag_counts (
      tag varchar(100) COLLATE "C" PRIMARY KEY,
      public_posts integer NOT NULL DEFAULT 0
    )
    """,
    """
    CREATE OR REPLACE FUNCTION salon_post_counted(visibility text, deleted_at timestamptz) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$ SELECT visibility = 'public' AND deleted_at IS NULL $$
    """,
    """
    CREATE OR REPLACE FUNCTION salon_hashtag_rows_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        IF EXISTS (SELECT 1 FROM posts WHERE id = NEW.post AND salon_post_counted(visibility, deleted_at)) THEN
          INSERT INTO hashtag_counts (tag, public_posts) VALUES (NEW.tag, 1)
          ON CONFLICT (tag) DO UPDATE SET public_posts = hashtag_counts.public_posts + 1;
        END IF;
        RETURN NEW;
      END IF;
      -- A post deleted outright is gone here (its rows go by cascade) and was uncounted before: nothing to do.
      IF EXISTS (SELECT 1 FROM posts WHERE id = OLD.post AND salon_post_counted(visibility, deleted_at)) THEN
        UPDATE hashtag_counts SET public_posts = public_posts - 1 WHERE tag = OLD.tag;
      END IF;
      RETURN OLD;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION salon_post_counted_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      was boolean := salon_post_counted(OLD.visibility, OLD.deleted_at);
      now_counted boolean := TG_OP = 'UPDATE' AND salon_post_counted(NEW.visibility, NEW.deleted_at);
    BEGIN
      IF was <> now_counted THEN
        INSERT INTO hashtag_counts (tag, public_posts)
        SELECT tag, CASE WHEN now_counted THEN 1 ELSE 0 END FROM post_hashtags WHERE post = OLD.id
        ON CONFLICT (tag) DO UPDATE
          SET public_posts = hashtag_counts.public_posts + CASE WHEN now_counted THEN 1 ELSE -1 END;
      END IF;
      RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END $$
    """,
    "DROP TRIGGER IF EXISTS salon_hashtag_rows_changed ON post_hashtags",
    """
    CREATE TRIGGER salon_hashtag_rows_changed AFTER INSERT OR DELETE ON post_hashtags
    FOR EACH ROW EXECUTE FUNCTION salon_hashtag_rows_changed()
    """,
    "DROP TRIGGER IF EXISTS salon_post_counted_changed ON posts",
    """
    CREATE TRIGGER salon_post_counted_changed AFTER UPDATE OF visibility, deleted_at ON posts
    FOR EACH ROW EXECUTE FUNCTION salon_post_counted_changed()
    """,
    "DROP TRIGGER IF EXISTS salon_post_uncounted_before_delete ON posts",
    """
    CREATE TRIGGER salon_post_uncounted_before_delete BEFORE DELETE ON posts
    FOR EACH ROW EXECUTE FUNCTION salon_post_counted_changed()
    """,
    """
    INSERT INTO hashtag_counts (tag, public_posts)
    SELECT h.tag, count(*) FROM post_hashtags h JOIN posts p ON p.id = h.post
    WHERE salon_post_counted(p.visibility, p.deleted_at) GROUP BY h.tag
    ON CONFLICT (tag) DO UPDATE SET public_posts = EXCLUDED.public_posts
    """,
]

BACKWARDS = [
    "DROP TRIGGER IF EXISTS salon_post_uncounted_before_delete ON posts",
    "DROP TRIGGER IF EXISTS salon_post_counted_changed ON posts",
    "DROP TRIGGER IF EXISTS salon_hashtag_rows_changed ON post_hashtags",
    "DROP FUNCTION IF EXISTS salon_post_counted_changed()",
    "DROP FUNCTION IF EXISTS salon_hashtag_rows_changed()",
    "DROP FUNCTION IF EXISTS salon_post_counted(text, timestamptz)",
    "DROP TABLE IF EXISTS hashtag_counts",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="posts", description=DESCRIPTION)

    async def run(statements: list[str]) -> None:
        engine = engine_finder()
        for statement in statements:
            await engine.run_ddl(statement)

    async def create() -> None:
        await run(FORWARDS)

    async def drop() -> None:
        await run(BACKWARDS)

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager

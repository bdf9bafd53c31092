"""The one settings object, read from the environment.

Every field maps to an environment variable (``ENV_NAMES``); a value that does not parse raises ``SettingsError``
naming the variable, so a bad deployment fails at start with a message a person can act on.
"""

from __future__ import annotations

import ipaddress
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import msgspec


class SettingsError(ValueError):
    """An environment variable holds a value salon cannot use."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    # Where things run
    database_url: str | None = None
    valkey_url: str | None = None
    data_dir: str = ".salon"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    # Requests in flight per worker, open event and AI streams included (Granian's backpressure; its default of 1,024
    # left the 1,025th event stream waiting for a slot and every later request, however small, queued behind it).
    max_concurrent_requests: int = 10_000
    environment: Literal["development", "production", "test"] = "development"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    db_pool_min: int = 2
    db_pool_max: int = 20
    valkey_max_connections: int = 64  # per process, for commands that answer at once (salon.lib.valkey)
    gc_young_threshold: int = 10_000  # CPython's is 700; see salon.lib.gc_tuning
    worker_concurrency: int = 20  # jobs the worker runs at once from the default queue
    worker_timelines_concurrency: int = 4  # ... and from the timelines queue (fan-out), alongside them
    # Security
    secret_key: str | None = None
    access_token_ttl_seconds: int = 15 * 60
    refresh_token_ttl_days: int = 30
    stream_ticket_ttl_seconds: int = 60
    google_client_id: str | None = None
    google_jwks_url: str = "https://www.googleapis.com/oauth2/v3/certs"
    login_max_failures: int = 5
    login_failure_window_seconds: int = 15 * 60
    login_max_failures_per_ip: int = 50
    # Reverse proxies (comma-separated addresses or networks, or "*") whose X-Forwarded-For / X-Forwarded-Proto are
    # believed: behind a load balancer every request comes from its address, so per-address limits need the client's.
    # Empty: the headers are ignored (a client could otherwise claim any address).
    trusted_proxies: str = ""
    register_max_per_ip_per_hour: int = 20
    # argon2id cost (argon2-cffi's RFC 9106 low-memory profile); hashes made with other values are upgraded on login
    password_hash_time_cost: int = 3
    password_hash_memory_kib: int = 65536
    password_hash_parallelism: int = 4
    deactivated_retention_days: int = 30
    # Real-time: the per-user event log (a Valkey Stream) keeps at most this many events, none older than this
    events_log_max_length: int = 1000
    events_log_max_age_seconds: int = 24 * 60 * 60
    events_heartbeat_seconds: float = 15.0
    presence_grace_seconds: int = 30
    # Content
    post_max_length: int = 1000
    chat_message_max_length: int = 1000
    # AI
    gemini_api_key: str | None = None
    gemini_model: str = "gemini-2.5-flash"
    gemini_base_url: str | None = None
    ai_context_token_budget: int = 8000  # prompt history beyond this is replaced by a rolling summary
    ai_context_max_turns: int = 64  # ... and beyond this many turns (salon.ai.context says why)
    ai_daily_token_budget: int = 200_000  # per user and UTC day, counted from the provider's usageMetadata
    ai_provider_retries: int = 3  # retries of a transient provider failure before the first token
    ai_provider_retry_delay_seconds: float = 0.5  # first backoff delay; doubles per retry
    ai_provider_timeout_seconds: float = 60.0  # longest wait for the provider's first chunk, then for each next
    ai_stream_retention_seconds: int = 3600  # how long a finished reply's chunks stay re-attachable
    # Feed: timelines (Valkey sorted sets) and fan-out
    feed_timeline_max_length: int = 800  # entries kept per home timeline
    feed_timeline_ttl_seconds: int = 7 * 24 * 3600  # an unread timeline expires; it is rebuilt on the next read
    feed_fanout_max_followers: int = 20_000  # authors with more followers are merged at read time, not fanned out
    # Timelines written per Valkey script call. A call blocks Valkey while it runs (~18 us a timeline measured: 1,000
    # held every other client for 18-25 ms); 100 keep each under ~2 ms.
    feed_fanout_chunk_size: int = 100
    feed_rebuild_max_age_days: int = 30  # a rebuilt timeline holds posts up to this old
    feed_snapshot_ttl_seconds: int = 1800  # how long the pages of a ranked/engagement feed stay readable
    feed_ranking_reuse_seconds: int = 60  # a reload reuses the latest ranking this long if the timeline is unchanged
    # Feed: ranking weights (docs/ranking.md explains each)
    feed_candidates: int = 400  # timeline entries scored for a ranked/engagement feed
    feed_recency_half_life_hours: float = 6.0
    feed_engagement_window_hours: int = 48  # the ``engagement`` algorithm only considers posts this recent
    feed_weight_like: float = 1.0
    feed_weight_repost: float = 2.0
    feed_weight_quote: float = 2.5
    feed_weight_reply: float = 3.0
    feed_weight_affinity: float = 0.5
    feed_reply_multiplier: float = 0.5  # replies are down-weighted against top-level posts
    feed_seen_multiplier: float = 0.2  # posts the viewer reported as seen
    feed_diversity_decay: float = 0.5  # each further post by an author in a feed is multiplied by this...
    feed_diversity_floor: float = 0.25  # ...but never below this share of its score
    feed_author_cap: int = 3  # at most this many posts by one author in any ``feed_author_window`` items...
    feed_author_window: int = 10  # ...while other authors have candidates
    # Feed: affinity signals (per viewer and author, in Valkey)
    feed_affinity_like: float = 1.0
    feed_affinity_reply: float = 3.0
    feed_affinity_repost: float = 2.0
    feed_affinity_profile_visit: float = 0.5
    feed_affinity_show_more: float = 5.0
    feed_affinity_show_less: float = -5.0
    feed_affinity_ttl_days: int = 90
    # Explore and trending
    explore_window_hours: int = 48
    explore_candidates: int = 500
    explore_gravity: float = 1.5  # engagement velocity = engagement / (age_hours + 2) ** gravity
    explore_cache_seconds: int = 60  # explore is computed once for everyone at most this often
    trending_window_hours: int = 24
    trending_half_life_hours: float = 2.0
    trending_min_authors: int = 5  # distinct authors a hashtag needs within the window to trend
    trending_max_tags: int = 50
    # Search
    search_backend: Literal["postgres"] = "postgres"

    # Media (#11): uploads, processing and storage
    media_storage: Literal["local", "s3"] = "local"  # local: files under SALON_DATA_DIR/media, served by salon
    media_max_upload_bytes: int = 10 * 1024 * 1024
    media_max_pixels: int = 40_000_000  # width x height of an upload
    media_web_max_dimension: int = 2048  # the web copy's longest side
    media_thumbnail_max_dimension: int = 320
    media_url_ttl_seconds: int = 3600  # signed file URLs are valid for at least this long
    media_unattached_ttl_hours: int = 24  # uploads never attached to anything are deleted after this
    media_s3_bucket: str | None = None
    media_s3_endpoint_url: str | None = None  # unset: AWS; set for MinIO, R2, Ceph ...
    media_s3_region: str = "us-east-1"
    media_s3_access_key_id: str | None = None
    media_s3_secret_access_key: str | None = None
    # Moderation (#11)
    moderation_ai_enabled: bool = True  # screen new content with the model (skipped while the offline model answers)
    moderation_hide_threshold: float = 0.8  # AI confidence at or above which unsafe content is hidden pending review
    moderation_word_list: str = ""  # comma-separated words or phrases that send content to review
    moderation_max_links: int = 3  # more links than this in one text is treated as link spam
    moderation_repeat_limit: int = 3  # the same text posted this many times within a day is treated as spam
    reports_max_per_hour: int = 20  # reports one user may file per hour
    suspension_default_days: int = 7
    # Goals (#10)
    goal_nudge_after_days: int = 3  # a participant with no check-in for this many days is nudged (once per idle spell)
    goal_nudge_batch_size: int = 50  # users whose coach nudge messages one job writes
    goal_coach_context_max_chars: int = 4000  # bound on the goals context added to a coach's system instruction

    @property
    def secret(self) -> str:
        """The signing secret; in development a stable per-data-dir secret is generated."""
        if self.secret_key:
            return self.secret_key
        if self.environment == "production":
            raise SettingsError("SALON_SECRET_KEY must be set in production (a long random string).")
        path = Path(self.data_dir) / "secret_key"
        if not path.exists():
            import secrets

            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


# Field name -> environment variable. Names given in the issues are contracts: keep them.
ENV_NAMES: dict[str, str] = {
    "database_url": "DATABASE_URL",
    "valkey_url": "VALKEY_URL",
    "gemini_api_key": "GEMINI_API_KEY",
    "google_client_id": "SALON_GOOGLE_CLIENT_ID",
    "gemini_model": "SALON_GEMINI_MODEL",
    "gemini_base_url": "SALON_GEMINI_BASE_URL",
}
for _name in Settings.__struct_fields__:
    ENV_NAMES.setdefault(_name, f"SALON_{_name.upper()}")

# The largest request body the upload route accepts at all, whatever SALON_MEDIA_MAX_UPLOAD_BYTES says.
MEDIA_UPLOAD_CEILING = 64 * 1024 * 1024

ENV_DESCRIPTIONS: dict[str, str] = {}  # filled by docs; the README table is the human-facing list


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from ``environ`` (default: the process environment)."""
    env = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    for field, var in ENV_NAMES.items():
        value = env.get(var)
        if value is not None and value != "":
            raw[field] = value
    try:
        settings = msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        # msgspec says e.g. "Expected `int`, got `str` - at `$.port`": translate the path into the variable name.
        message = str(exc)
        for field, var in ENV_NAMES.items():
            if message.endswith(f"`$.{field}`"):
                raise SettingsError(f"{var} is invalid: {message.rsplit(' - at ', 1)[0]} (got {raw[field]!r})") from exc
        raise SettingsError(message) from exc
    _validate(settings)
    return settings


def _validate(settings: Settings) -> None:
    for field in ("database_url",):
        url = getattr(settings, field)
        if url is not None and not url.startswith(("postgres://", "postgresql://")):
            raise SettingsError(f"{ENV_NAMES[field]} must be a postgresql:// URL (got {url!r})")
    if settings.valkey_url is not None and not settings.valkey_url.startswith(
        ("redis://", "rediss://", "valkey://", "valkeys://", "unix://")
    ):
        raise SettingsError(f"VALKEY_URL must be a redis:// or valkey:// URL (got {settings.valkey_url!r})")
    for field in (
        "port",
        "workers",
        "max_concurrent_requests",
        "db_pool_max",
        "valkey_max_connections",
        "gc_young_threshold",
        "worker_concurrency",
        "worker_timelines_concurrency",
        "access_token_ttl_seconds",
        "ai_context_token_budget",
        "ai_context_max_turns",
    ):
        if getattr(settings, field) <= 0:
            raise SettingsError(f"{ENV_NAMES[field]} must be a positive number")
    if not 0 < settings.port < 65536:
        raise SettingsError("SALON_PORT must be between 1 and 65535")
    if settings.media_storage == "s3" and not settings.media_s3_bucket:
        raise SettingsError("SALON_MEDIA_S3_BUCKET must be set when SALON_MEDIA_STORAGE=s3")
    if not 0 < settings.media_max_upload_bytes <= MEDIA_UPLOAD_CEILING:
        raise SettingsError(f"SALON_MEDIA_MAX_UPLOAD_BYTES must be between 1 and {MEDIA_UPLOAD_CEILING}")
    if not 0.0 <= settings.moderation_hide_threshold <= 1.0:
        raise SettingsError("SALON_MODERATION_HIDE_THRESHOLD must be between 0 and 1")
    for proxy in trusted_proxies(settings):
        if proxy != "*":
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise SettingsError(
                    f"SALON_TRUSTED_PROXIES must list IP addresses or networks (e.g. 10.0.0.0/8) or be *; got {proxy!r}"
                ) from None


def trusted_proxies(settings: Settings) -> list[str]:
    return [entry.strip() for entry in settings.trusted_proxies.split(",") if entry.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()

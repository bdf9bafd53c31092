"""The one door to the model: google-genai's ``client.aio.models.generate_content_stream``.

- Transient failures (429, 408, 5xx, timeouts, refused connections) are retried with exponential backoff, but only
  before the first chunk arrives: once text has reached the user a retry would repeat it. After that, and for
  failures that a retry cannot fix, a typed ``ProviderError(code, detail, retryable)`` is raised.
- ``SALON_AI_PROVIDER_TIMEOUT_SECONDS`` bounds the wait for the first chunk (connecting included) and then for each
  next one: a model that stops sending fails the reply with ``provider_timeout`` instead of holding it open.
- The SDK talks HTTP through aiohttp (its ``aiohttp_client`` option), one session per process: at 64 concurrent
  replies of 20 chunks the SDK alone streamed ~45 % more replies per second of CPU than through httpx (RESULTS.md,
  the fourteenth pass).
- ``SALON_GEMINI_BASE_URL`` points the SDK at another endpoint (the loopback stand-in in tests and benchmarks).
- Without ``GEMINI_API_KEY`` the provider starts the offline model: a ``GeminiStandIn`` on loopback in this process
  whose replies say plainly that salon is offline and how to configure a key. It is reached through the same SDK path.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
import msgspec
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from salon.ai.standin import GeminiStandIn, last_user_text
from salon.settings import Settings, get_settings

log = logging.getLogger("salon.ai.provider")

TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
BLOCKED_REASONS = frozenset({"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION", "IMAGE_SAFETY"})
OFFLINE_API_KEY = "salon-offline"
TITLE_TASK = "[salon:title]"
SUMMARY_TASK = "[salon:summary]"


class ProviderError(Exception):
    """The model could not answer. ``code`` is stable (documented in docs/api.md); ``retryable`` tells the client
    whether sending the message again may work."""

    def __init__(self, code: str, detail: str, *, retryable: bool) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.retryable = retryable


class Turn(msgspec.Struct, frozen=True):
    role: Literal["user", "model"]
    text: str


@dataclass
class Usage:
    prompt_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0


def sdk_request(
    turns: Sequence[Turn], system: str | None, max_tokens: int | None
) -> tuple[list[types.ContentDict], types.GenerateContentConfigDict]:
    """The ``contents`` and ``config`` of the SDK call that answers ``turns``. What each choice saved, in CPU per
    reply of 20 chunks with a 64-turn prompt (google-genai 3.4 here); tests/ai/test_provider.py pins the request:

    - The turns go to the API as they are on the wire, through the SDK's documented ``extra_body`` (request fields in
      the backend's own structure, which replace what the SDK built): the SDK validates every turn it is given into
      pydantic models and converts it back, ~0.15 ms a turn (10.8 -> 4.1 ms).
    - The config is a dict: the SDK deep-copies a config model, and with it every turn of ``extra_body``.
    - Automatic function calling is off (salon declares no tools): the SDK's default path deep-copies the config
      again and logs a line per call.
    """
    wire: list[types.ContentDict] = [{"role": t.role, "parts": [{"text": t.text}]} for t in turns]
    config: types.GenerateContentConfigDict = {
        "http_options": {"extra_body": {"contents": wire}},
        "automatic_function_calling": {"disable": True},
    }
    if system:
        config["system_instruction"] = system
    if max_tokens is not None:
        config["max_output_tokens"] = max_tokens
    return wire[-1:], config  # the SDK needs contents; the request carries ``wire`` in their place


class Reply:
    """One streamed answer: ``async for delta in reply`` yields text as it arrives; ``usage`` is filled at the end."""

    def __init__(self, provider: GeminiProvider, turns: Sequence[Turn], system: str | None, max_tokens: int | None):
        self.provider = provider
        self.contents, self.config = sdk_request(turns, system, max_tokens)
        self.usage = Usage()

    async def __aiter__(self) -> AsyncIterator[str]:
        chunks, first = await self._open_with_retries()
        timeout = self.provider.timeout
        try:
            text = self._consume(first)
            if text:
                yield text
            while True:
                async with asyncio.timeout(timeout):  # the wait for this chunk only: never around a yield
                    chunk = await anext(chunks, None)
                if chunk is None:
                    break
                text = self._consume(chunk)
                if text:
                    yield text
        except ProviderError:
            raise
        except Exception as exc:
            raise as_provider_error(exc) from exc
        finally:
            await _close(chunks)

    async def _open_with_retries(self) -> tuple[AsyncIterator[types.GenerateContentResponse], Any]:
        """Start the request and wait for its first chunk, retrying transient failures with backoff."""
        attempt = 0
        while True:
            chunks = None
            try:
                async with asyncio.timeout(self.provider.timeout):
                    chunks = await self.provider.client.aio.models.generate_content_stream(
                        model=self.provider.model, contents=self.contents, config=self.config
                    )
                    first = await anext(chunks)
                return chunks, first
            except StopAsyncIteration as exc:
                raise ProviderError("provider_empty", "The model returned no answer.", retryable=True) from exc
            except Exception as exc:
                if chunks is not None:
                    await _close(chunks)
                error = as_provider_error(exc)
                if not _is_transient(exc) or attempt >= self.provider.retries:
                    raise error from exc
                delay = self.provider.retry_delay * (2**attempt) * (1 + random.random() / 4)  # noqa: S311
                log.info("provider failed before the first token (%s); retrying in %.2fs", error.code, delay)
                attempt += 1
                await asyncio.sleep(delay)

    def _consume(self, chunk: types.GenerateContentResponse) -> str:
        if chunk.prompt_feedback is not None and chunk.prompt_feedback.block_reason is not None:
            raise ProviderError("provider_blocked", "The model declined this prompt (safety filters).", retryable=False)
        if chunk.usage_metadata is not None:
            meta = chunk.usage_metadata
            self.usage = Usage(
                prompt_tokens=meta.prompt_token_count or 0,
                output_tokens=meta.candidates_token_count or 0,
                total_tokens=meta.total_token_count or 0,
            )
        if not chunk.candidates:
            return ""
        candidate = chunk.candidates[0]
        reason = candidate.finish_reason.value if candidate.finish_reason is not None else None
        if reason in BLOCKED_REASONS:
            raise ProviderError("provider_blocked", f"The model stopped its answer ({reason}).", retryable=False)
        parts = candidate.content.parts if candidate.content is not None and candidate.content.parts else []
        return "".join(part.text for part in parts if part.text and not part.thought)


async def _close(chunks: AsyncIterator[Any]) -> None:
    """Release the HTTP response now (a stopped reply must not hold its connection until garbage collection)."""
    close = getattr(chunks, "aclose", None)
    if close is not None:
        try:
            await close()
        except Exception:  # closing a broken stream can fail again; the reply is over either way
            log.debug("closing the provider stream failed", exc_info=True)


def _is_transient(exc: Exception) -> bool:
    """May a request that failed with ``exc`` before its first chunk be sent again? A body cut off
    (``ClientPayloadError``) is as transient as a connection that failed: nothing reached the user yet."""
    if isinstance(exc, genai_errors.APIError):
        return exc.code in TRANSIENT_STATUSES
    return isinstance(exc, TimeoutError | aiohttp.ClientConnectionError | aiohttp.ClientPayloadError)


def as_provider_error(exc: BaseException) -> ProviderError:
    """Translate an SDK or transport failure into the typed error clients see."""
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, genai_errors.APIError):
        message = exc.message or exc.status or "no detail"
        if exc.code == 429:
            return ProviderError(
                "provider_rate_limited", f"The model is over its rate limit ({message}).", retryable=True
            )
        if exc.code in (401, 403):
            return ProviderError(
                "provider_auth", "The model refused salon's API key: check GEMINI_API_KEY.", retryable=False
            )
        if exc.code >= 500 or exc.code == 408:
            return ProviderError("provider_unavailable", f"The model failed ({exc.code}: {message}).", retryable=True)
        return ProviderError("provider_rejected", f"The model rejected the request ({exc.code}: {message}).",
                             retryable=False)  # fmt: skip
    if isinstance(exc, TimeoutError):
        return ProviderError("provider_timeout", "The model took too long to answer.", retryable=True)
    if isinstance(exc, aiohttp.ClientConnectionError | aiohttp.ClientPayloadError):
        return ProviderError(
            "provider_unreachable", f"The connection to the model failed ({type(exc).__name__}).", retryable=True
        )
    return ProviderError("provider_error", f"The model's answer could not be read ({type(exc).__name__}).",
                         retryable=True)  # fmt: skip


class GeminiProvider:
    def __init__(self, settings: Settings, *, offline_model: GeminiStandIn | None = None) -> None:
        self.model = settings.gemini_model
        self.retries = settings.ai_provider_retries
        self.retry_delay = settings.ai_provider_retry_delay_seconds
        self.timeout = settings.ai_provider_timeout_seconds
        self.offline_model = offline_model
        base_url = offline_model.base_url if offline_model is not None else settings.gemini_base_url
        self.http, self.client = sdk_client(settings.gemini_api_key or OFFLINE_API_KEY, base_url)

    @property
    def offline(self) -> bool:
        return self.offline_model is not None

    def reply(self, turns: Sequence[Turn], *, system: str | None = None, max_tokens: int | None = None) -> Reply:
        return Reply(self, turns, system, max_tokens)

    async def complete(
        self, turns: Sequence[Turn], *, system: str | None = None, max_tokens: int | None = None
    ) -> tuple[str, Usage]:
        """The whole answer at once (titles, summaries)."""
        reply = self.reply(turns, system=system, max_tokens=max_tokens)
        parts = [delta async for delta in reply]
        return "".join(parts).strip(), reply.usage

    async def close(self) -> None:
        await self.http.close()
        if self.offline_model is not None:
            await self.offline_model.stop()


def sdk_client(api_key: str, base_url: str | None) -> tuple[aiohttp.ClientSession, genai.Client]:
    """The SDK client replies stream through, and the aiohttp session under it (call in a running event loop).

    - No bound on connections: aiohttp's default of 100 would queue every reply beyond it.
    - No timeouts of the session's own: the SDK replaces them per request (a total timeout, or none), so the reply
      bounds its waits itself (``Reply``).
    - One attempt per request: without ``retry_options`` the SDK retries a refused connection once after sleeping
      1-10 s; salon retries itself, before the first chunk only.
    """
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    options = types.HttpOptions(
        base_url=base_url, aiohttp_client=http, retry_options=types.HttpRetryOptions(attempts=1)
    )
    return http, genai.Client(api_key=api_key, http_options=options)


def offline_reply(body: dict[str, Any]) -> str:
    """What the offline model says: honest about being offline, and still useful for trying salon out."""
    system = "".join(part.get("text", "") for part in (body.get("systemInstruction") or {}).get("parts", []))
    said = " ".join(last_user_text(body).split())
    if TITLE_TASK in system:
        words = said.split()
        return " ".join(words[:6]) or "Offline conversation"
    if SUMMARY_TASK in system:
        return f"Offline summary (no GEMINI_API_KEY is set, so no model wrote this): {said[:300]}"
    return (
        "salon is running without GEMINI_API_KEY: this is the offline model, which can only answer with this "
        "message. Set GEMINI_API_KEY to a Gemini API key (https://aistudio.google.com/apikey) and restart salon "
        f"to talk to a real model. You said: {said[:500]}"
    )


_provider: GeminiProvider | None = None
_lock = asyncio.Lock()


async def get_provider() -> GeminiProvider:
    """The process's provider, created on first use (starting the offline model when there is no API key)."""
    global _provider
    if _provider is not None:
        return _provider
    async with _lock:
        if _provider is None:
            settings = get_settings()
            offline_model = None
            if not settings.gemini_api_key:
                offline_model = GeminiStandIn(reply=offline_reply, chunks=24, delay=0.02, model_version="offline")
                await offline_model.start()
                log.warning("GEMINI_API_KEY is not set: AI replies come from the offline model")
            _provider = GeminiProvider(settings, offline_model=offline_model)
    return _provider


async def close_provider() -> None:
    """Close the process's provider, if it was made (its HTTP session, the offline model): on shutdown."""
    global _provider
    provider, _provider = _provider, None
    if provider is not None:
        await provider.close()


async def use_provider(provider: GeminiProvider | None) -> GeminiProvider | None:
    """Replace the process's provider (tests point it at a scripted stand-in); returns the previous one."""
    global _provider
    previous, _provider = _provider, provider
    return previous

"""Logs are JSON lines carrying the request id, and secrets never reach them."""

from __future__ import annotations

import json

import httpx
import pytest
import structlog

SECRET_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtdXNlciJ9.c2lnbmF0dXJlLXRoYXQtaXMtc2VjcmV0"


def _json_lines(text: str) -> list[dict[str, object]]:
    lines = []
    for line in text.splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    return lines


async def test_access_log_is_json_with_request_id_and_no_authorization(
    client: httpx.AsyncClient, capfd: pytest.CaptureFixture[str]
) -> None:
    await client.get("/health", headers={"X-Request-ID": "log-me-42", "Authorization": f"Bearer {SECRET_TOKEN}"})
    out, err = capfd.readouterr()
    records = _json_lines(out + err)
    access = [r for r in records if r.get("request_id") == "log-me-42"]
    assert access, f"no JSON log line with the request id in: {out + err!r}"
    assert access[0]["route"] == "/health"
    assert access[0]["status"] == 200
    assert SECRET_TOKEN not in out + err


def test_redaction_drops_secret_fields_and_scrubs_tokens(capfd: pytest.CaptureFixture[str]) -> None:
    log = structlog.get_logger("salon.test")
    log.warning(
        "signing in",
        password="hunter2-hunter2",
        refresh_token="opaque-refresh-value",
        note=f"header was Bearer {SECRET_TOKEN}",
        nested={"Authorization": "Bearer abc", "ok": "visible"},
    )
    out, err = capfd.readouterr()
    text = out + err
    for secret in ("hunter2-hunter2", "opaque-refresh-value", SECRET_TOKEN, "Bearer abc"):
        assert secret not in text
    assert "visible" in text


def test_stdlib_extra_fields_reach_the_json_line_redacted() -> None:
    import io
    import logging

    from salon.lib.logging import stdlib_logging_config

    json_formatter = stdlib_logging_config("INFO").formatters["json"]
    formatter = json_formatter["()"](
        processors=json_formatter["processors"], foreign_pre_chain=json_formatter["foreign_pre_chain"]
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("salon.test.extra")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.error("job x was not sent", extra={"detail": {"post_id": "p-1", "api_key": "k-secret-1"}})
    finally:
        logger.removeHandler(handler)

    line = json.loads(stream.getvalue())
    assert line["event"] == "job x was not sent"
    assert line["detail"] == {"post_id": "p-1", "api_key": "[redacted]"}

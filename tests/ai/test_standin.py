"""The stand-in answers as Gemini would: prose by default, JSON matching the schema in JSON mode."""

from __future__ import annotations

from salon.ai.standin import GeminiStandIn, schema_answer
from salon.moderation import screening
from salon.moderation.schemas import Verdict


async def test_a_json_mode_request_gets_json_of_its_schema(standin: GeminiStandIn) -> None:
    # Moderation's screening, through the real SDK: a verdict, not an echo the screening would count as a failure.
    verdict = await screening.ask_model("an ordinary post")

    assert verdict == Verdict(is_safe=True, category="other", confidence=0.0, reason="stand-in answer")
    assert standin.requests[-1].body["generationConfig"]["responseMimeType"] == "application/json"


def test_schema_answer_covers_every_gemini_type() -> None:
    schema = {
        "type": "OBJECT",
        "properties": {
            "tags": {"type": "ARRAY", "items": {"type": "STRING", "enum": ["a", "b"]}},
            "count": {"type": "INTEGER"},
            "ok": {"type": "BOOLEAN"},
            "nested": {"type": "object", "properties": {"why": {"type": "STRING"}}},
        },
    }

    assert schema_answer(schema) == {"tags": ["a"], "count": 0, "ok": True, "nested": {"why": "stand-in answer"}}

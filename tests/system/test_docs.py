"""The README stays true: every environment variable salon reads is in its configuration table."""

from __future__ import annotations

from pathlib import Path

from salon.settings import ENV_NAMES

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [var for var in ENV_NAMES.values() if f"`{var}`" not in readme]
    assert missing == [], f"add these variables to the README configuration table: {missing}"


def test_quickstart_is_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make dev" in readme
    assert "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()

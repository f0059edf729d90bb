"""Digest fixtures shared by every area: a hand-written issue covering each shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.digest.model import Issue
from bot.digest.parse import parse_issue

DIGEST_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "digest"


@pytest.fixture
def shapes_path() -> Path:
    """A hand-written issue (2023-04-10) with every entry shape and a full footer."""
    return DIGEST_FIXTURES / "shapes.md"


@pytest.fixture
def shapes_issue(shapes_path: Path) -> Issue:
    """``shapes.md`` parsed: 10 entries in 5 sections, 8 of them linked."""
    return parse_issue(shapes_path.read_text(encoding="utf-8"), filename=shapes_path.name)

"""Shared fixtures. Area-specific fixtures live in tests/support/<area>.py and are
loaded here as plugins, so every test module can use them."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SUPPORT = Path(__file__).resolve().parent / "support"

pytest_plugins = sorted(
    f"tests.support.{p.stem}" for p in SUPPORT.glob("*.py") if p.stem != "__init__"
)

CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.fixture
def seed_path() -> Path:
    return ROOT / "seeds" / "2021-01-05.md"


@pytest.fixture
def corpus_issues() -> list[Path]:
    """The 30 real issues, or a clean skip when ../shared/corpus is absent."""
    folder = CORPUS / "issues"
    if not folder.is_dir():
        pytest.skip("../shared/corpus/issues is not present")
    return sorted(folder.glob("*.md"))


@pytest.fixture
def corpus_revisions() -> list[Path]:
    """The 26 revisions of 2021-01-05, oldest first, or a clean skip."""
    folder = CORPUS / "revisions" / "2021-01-05"
    if not folder.is_dir():
        pytest.skip("../shared/corpus/revisions is not present")
    return sorted(folder.glob("*.md"))

"""Topic tagging against relevance labels of the 30 real issues (../shared/corpus).

tests/fixtures/topics/labels.toml says, for each entry url, which topics a reader
of that topic would want the entry for (labelled by reading, not by running the
matcher). Each labelled topic has a committed floor for recall and precision,
set just under what was measured: a catalogue or matcher change that loses
entries or lets wrong ones in fails here. ``pytest -s`` prints the table.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.digest.model import Entry
from bot.digest.parse import parse_issue
from bot.topics.catalog import load_catalog, resolve
from bot.topics.match import tag_entry
from bot.topics.quality import MEASURED_TOPICS, TopicQuality, format_table, macro, measure
from tests.conftest import CORPUS

pytestmark = pytest.mark.corpus

LABELS = Path(__file__).resolve().parent / "fixtures" / "topics" / "labels.toml"

# slug: (recall floor, precision floor), just under the figures measured when committed
FLOORS: dict[str, tuple[float, float]] = {
    "quantization": (0.95, 0.82),
    "pruning": (0.88, 0.81),
    "distillation": (0.89, 0.89),
    "nas": (0.80, 0.93),
    "lightweight": (0.84, 0.54),
    "accelerator": (0.89, 0.86),
    "gpu": (0.88, 0.48),
    "compiler": (0.98, 0.83),
    "inference-engine": (0.89, 0.80),
    "deployment": (0.66, 0.51),
    "kernels": (0.81, 0.56),
    "detection": (0.86, 0.68),
    "face": (0.89, 0.76),
    "ocr": (0.98, 0.57),
    "speech": (0.84, 0.42),
    "transformer": (0.98, 0.62),
    "riscv": (0.98, 0.88),
    "tinyml": (0.98, 0.76),
    "autonomous-driving": (0.64, 0.55),
    "robotics": (0.98, 0.40),
    "industry": (0.67, 0.86),
    "benchmark": (0.86, 0.70),
}
MACRO_FLOOR = (0.92, 0.84)  # recall, precision over the six measured topics

# what a reader types in Chinese and in English for the six measured topics
WORDINGS = {
    "quantization": ("量化", "quantization"),
    "pruning": ("剪枝", "pruning"),
    "distillation": ("蒸馏", "distillation"),
    "accelerator": ("NPU", "AI accelerator"),
    "compiler": ("编译器", "compiler"),
    "inference-engine": ("推理框架", "inference engine"),
}


def load_labels() -> dict[str, list[str]]:
    with LABELS.open("rb") as handle:
        labels: dict[str, list[str]] = tomllib.load(handle)["labels"]
    return labels


def corpus_entries(paths: list[Path]) -> list[Entry]:
    return [
        entry
        for path in paths
        for entry in parse_issue(path.read_text(encoding="utf-8"), filename=path.name).entries
    ]


def quality(paths: list[Path]) -> list[TopicQuality]:
    """The per-topic figures of the packaged catalogue on these issues."""
    return measure(load_catalog(), corpus_entries(paths), load_labels(), tag_entry)


@pytest.fixture(scope="module")
def rows() -> list[TopicQuality]:
    folder = CORPUS / "issues"
    if not folder.is_dir():
        pytest.skip("../shared/corpus/issues is not present")
    measured = quality(sorted(folder.glob("*.md")))
    print("\n" + format_table(measured))
    return measured


def test_labels_cover_the_corpus(corpus_issues: list[Path]) -> None:
    labels = load_labels()
    catalog = load_catalog()
    unknown = {slug for slugs in labels.values() for slug in slugs if catalog.get(slug) is None}
    assert not unknown, "labels name topics the catalogue does not have"
    urls = {entry.url.strip() for entry in corpus_entries(corpus_issues) if entry.url}
    unlabelled = urls - set(labels)
    assert len(unlabelled) <= len(urls) // 50, f"entries without labels: {sorted(unlabelled)[:5]}"


@pytest.mark.parametrize("slug", sorted(FLOORS))
def test_topic_stays_above_its_floor(rows: list[TopicQuality], slug: str) -> None:
    row = next(row for row in rows if row.slug == slug)
    recall_floor, precision_floor = FLOORS[slug]
    assert row.recall is not None and row.recall >= recall_floor, row
    assert row.precision is not None and row.precision >= precision_floor, row


def test_every_labelled_topic_has_a_floor(rows: list[TopicQuality]) -> None:
    labelled = {row.slug for row in rows if row.labelled}
    assert labelled <= set(FLOORS)


def test_measured_topics_macro_figures(rows: list[TopicQuality]) -> None:
    recall, precision = macro(rows, MEASURED_TOPICS)
    assert recall >= MACRO_FLOOR[0]
    assert precision >= MACRO_FLOOR[1]


@pytest.mark.parametrize("slug", MEASURED_TOPICS)
def test_chinese_and_english_wordings_are_the_same_topic(slug: str) -> None:
    chinese, english = WORDINGS[slug]
    assert resolve(chinese) is not None and resolve(chinese) is resolve(english)
    assert resolve(chinese).slug == slug  # type: ignore[union-attr]

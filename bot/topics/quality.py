"""Recall and precision of topic tagging against relevance labels (for tests and docs).

Labels map an entry url to the topic slugs a reader of that topic would want;
an entry is predicted to be about a topic when ``tag_entry`` names it. Several
entries with the same url (an item repeated in two issues) count once, with the
union of their tags.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.digest.model import Entry
from bot.topics.catalog import Catalog
from bot.topics.match import TopicHit

MEASURED_TOPICS = (
    "quantization",
    "pruning",
    "distillation",
    "accelerator",
    "compiler",
    "inference-engine",
)
"""The topics whose figures are also checked on issues the catalogue was not tuned on."""


@dataclass(frozen=True, slots=True)
class TopicQuality:
    slug: str
    labelled: int  # entries labelled with the topic
    tagged: int  # entries the matcher tags with it
    correct: int  # both

    @property
    def recall(self) -> float | None:
        return self.correct / self.labelled if self.labelled else None

    @property
    def precision(self) -> float | None:
        return self.correct / self.tagged if self.tagged else None


def measure(
    catalog: Catalog,
    entries: Iterable[Entry],
    labels: Mapping[str, Sequence[str]],
    tagger: Callable[[Entry], tuple[TopicHit, ...]],
) -> list[TopicQuality]:
    """Per catalogue topic: how the tagger's choices compare with the labels.

    Only entries whose url is labelled take part."""
    predicted: dict[str, set[str]] = {}
    for entry in entries:
        url = (entry.url or "").strip()
        if url in labels:
            predicted.setdefault(url, set()).update(hit.slug for hit in tagger(entry))
    rows = []
    for topic in catalog.topics:
        gold = {url for url in predicted if topic.slug in labels[url]}
        got = {url for url, slugs in predicted.items() if topic.slug in slugs}
        rows.append(TopicQuality(topic.slug, len(gold), len(got), len(gold & got)))
    return rows


def macro(
    rows: Iterable[TopicQuality], slugs: Sequence[str] = MEASURED_TOPICS
) -> tuple[float, float]:
    """Mean recall and mean precision over ``slugs`` (topics without a figure count as 0)."""
    chosen = [row for row in rows if row.slug in slugs]
    if not chosen:
        return 0.0, 0.0
    recall = sum(row.recall or 0.0 for row in chosen) / len(chosen)
    precision = sum(row.precision or 0.0 for row in chosen) / len(chosen)
    return recall, precision


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def format_table(rows: Sequence[TopicQuality], slugs: Sequence[str] = MEASURED_TOPICS) -> str:
    """A Markdown table of the figures, with the macro figures of ``slugs`` last."""
    lines = [
        "| topic | labelled | tagged | recall | precision |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        mark = " *" if row.slug in slugs else ""
        lines.append(
            f"| {row.slug}{mark} | {row.labelled} | {row.tagged} | "
            f"{_figure(row.recall)} | {_figure(row.precision)} |"
        )
    recall, precision = macro(rows, slugs)
    lines.append(f"| macro of the {len(slugs)} marked * | | | {recall:.2f} | {precision:.2f} |")
    return "\n".join(lines)

"""What a user types into search, turned into terms and one safe FTS5 expression.

Terms separated by spaces are ANDed, ``"quoted phrase"`` (also “…” and 「…」)
keeps words together, ``-term`` excludes. Only runs of letters, digits and CJK
characters survive (see bot.text.tokens), so quotes, ``*``, ``^``, ``:``,
``NEAR(`` or ``AND`` are plain data. Everything is bounded: the query to
``MAX_QUERY_CHARS``, ``MAX_TERMS`` terms of ``MAX_TERM_CHARS`` characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.text.normalize import normalize, strip_invisible
from bot.text.tokens import Run, runs, term_expression

MAX_QUERY_CHARS = 200
MAX_TERMS = 8
MAX_TERM_CHARS = 32
QUOTES = frozenset('"“”„「」『』')

Notice = Literal["query_cut", "too_many_terms", "term_cut", "nothing_to_search"]
NOTICE_TEXT: dict[Notice, str] = {
    "query_cut": f"The query was cut to its first {MAX_QUERY_CHARS} characters.",
    "too_many_terms": f"Only the first {MAX_TERMS} terms were used.",
    "term_cut": f"Terms longer than {MAX_TERM_CHARS} characters were cut.",
    "nothing_to_search": "Nothing to search for: use letters, digits or Chinese characters "
    "(a term starting with - only excludes).",
}


@dataclass(frozen=True, slots=True)
class Term:
    runs: tuple[Run, ...]
    exclude: bool = False

    @property
    def text(self) -> str:
        return " ".join(run.text for run in self.runs)


@dataclass(frozen=True, slots=True)
class Query:
    raw: str
    include: tuple[Term, ...] = ()
    exclude: tuple[Term, ...] = ()
    notices: tuple[Notice, ...] = ()

    @property
    def empty(self) -> bool:
        """Nothing typed at all (show usage)."""
        return not self.raw.strip()

    @property
    def expression(self) -> str | None:
        """The FTS5 MATCH expression, or None when there is nothing to look for."""
        if not self.include:
            return None
        expr = " AND ".join(f"({term_expression(list(t.runs))})" for t in self.include)
        return f"({expr})" + "".join(
            f" NOT ({term_expression(list(t.runs))})" for t in self.exclude
        )

    @property
    def title_expression(self) -> str | None:
        """Matches of ``expression`` with at least one included term in the title."""
        if self.expression is None:
            return None
        anyterm = " OR ".join(f"({term_expression(list(t.runs))})" for t in self.include)
        return f"({{t ts}} : ({anyterm})) AND ({self.expression})"

    @property
    def untitled_expression(self) -> str | None:
        """Matches of ``expression`` with no included term in the title."""
        if self.expression is None:
            return None
        anyterm = " OR ".join(f"({term_expression(list(t.runs))})" for t in self.include)
        return f"({self.expression}) NOT ({{t ts}} : ({anyterm}))"

    @property
    def term_expressions(self) -> list[str]:
        """One expression per term, included or excluded."""
        return [term_expression(list(t.runs)) for t in (*self.include, *self.exclude)]


def _pieces(text: str) -> list[tuple[str, bool]]:
    """(piece, excluded) in order: quoted phrases and space-separated words."""
    pieces: list[tuple[str, bool]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        exclude = text[i] == "-" and i + 1 < n and not text[i + 1].isspace()
        if exclude:
            i += 1
        if text[i] in QUOTES:
            end = next((j for j in range(i + 1, n) if text[j] in QUOTES), n)
            pieces.append((text[i + 1 : end], exclude))
            i = end + 1
        else:
            end = next((j for j in range(i, n) if text[j].isspace() or text[j] in QUOTES), n)
            pieces.append((text[i:end], exclude))
            i = end
    return pieces


def _bounded(term_runs: list[Run]) -> tuple[list[Run], bool]:
    kept: list[Run] = []
    left = MAX_TERM_CHARS
    for run in term_runs:
        if left <= 0:
            return kept, True
        kept.append(Run(run.text[:left], run.cjk))
        left -= len(run.text)
    return kept, left < 0


def parse_query(raw: str) -> Query:
    """Parse any string into a bounded query; never raises. Invisible characters
    (zero-width, NUL, controls) are dropped first: ``量\u200b化`` searches ``量化``."""
    notices: list[Notice] = []
    raw = strip_invisible(raw)
    if len(raw) > MAX_QUERY_CHARS:
        raw = raw[:MAX_QUERY_CHARS]
        notices.append("query_cut")
    include: list[Term] = []
    exclude: list[Term] = []
    seen: set[tuple[str, bool]] = set()
    for piece, excluded in _pieces(normalize(raw)):
        term_runs, cut = _bounded(runs(piece))
        if not term_runs:
            continue
        if cut and "term_cut" not in notices:
            notices.append("term_cut")
        term = Term(tuple(term_runs), excluded)
        if (term.text, excluded) in seen:
            continue
        if len(seen) == MAX_TERMS:
            notices.append("too_many_terms")
            break
        seen.add((term.text, excluded))
        (exclude if excluded else include).append(term)
    if raw.strip() and not include:
        notices.append("nothing_to_search")
    return Query(raw, tuple(include), tuple(exclude), tuple(notices))

"""Turning normalized text into index tokens, and query terms into FTS5 phrases.

SQLite's own tokenizers cannot find 2-character Chinese words (``unicode61``
keeps a whole Han run as one token, ``trigram`` needs 3 characters), so the
index is tokenized here and SQLite only splits on the spaces we put in:

* main stream (columns ``t``/``b``): a CJK run ``ABCD`` becomes the bigrams
  ``AB BC CD`` plus its last character ``D``, so every character starts some
  token and a 1-character query is a prefix query (``"B"*``); a run of letters
  or digits is one word token;
* sub stream (columns ``ts``/``bs``): every proper suffix of each word token
  (starting in its first ``SUFFIX_STARTS`` characters), so ``"net"*`` finds
  ``mobilenet`` — substring semantics for Latin words.

Only letters, digits and CJK characters ever reach an FTS5 expression, each
inside double quotes, so user input can never be FTS5 syntax. Changing
anything here changes the index: bump ``TOKENIZER_VERSION``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TOKENIZER_VERSION = 1
SUFFIX_STARTS = 24

_CJK = (
    "\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3040-\u30ff\u3100-\u312f\u3131-\u318f"
    "\u31a0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff"
    "\U00020000-\U0003ffff"
)
_RUN = re.compile(f"(?P<cjk>[{_CJK}]+)|(?P<word>[^\\W_{_CJK}]+)")


@dataclass(frozen=True, slots=True)
class Run:
    text: str
    cjk: bool


def runs(normalized: str) -> list[Run]:
    """The CJK and word runs of already-normalized text, in order."""
    return [Run(m.group(), m.lastgroup == "cjk") for m in _RUN.finditer(normalized)]


def _cjk_tokens(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def index_streams(normalized: str) -> tuple[str, str]:
    """(main, sub) token strings for one field of normalized text."""
    main: list[str] = []
    sub: list[str] = []
    for run in runs(normalized):
        if run.cjk:
            main.extend(_cjk_tokens(run.text))
        else:
            main.append(run.text)
            sub.extend(run.text[i:] for i in range(1, min(len(run.text), SUFFIX_STARTS)))
    return " ".join(main), " ".join(sub)


def _phrase(tokens: list[str], prefix: bool) -> str:
    return '"' + " ".join(tokens) + '"' + (" *" if prefix else "")


def term_expression(term_runs: list[Run]) -> str:
    """An FTS5 expression matching entries that contain the term as a substring.

    One word run: a prefix query over all columns — a main token starting with
    the word or a suffix token starting with it (whole-word hits score higher
    because main columns weigh more). One CJK run: its bigrams as a phrase
    (1 character: a prefix); CJK tokens only exist in the main columns, so no
    column filter is needed. Several runs: one phrase over the main columns,
    the last token a prefix where it may continue.
    """
    if not term_runs:
        raise ValueError("a term needs at least one run")
    if len(term_runs) == 1:
        run = term_runs[0]
        if not run.cjk or len(run.text) == 1:
            return _phrase([run.text], True)
        return _phrase(_cjk_tokens(run.text)[:-1], False)
    tokens: list[str] = []
    for i, run in enumerate(term_runs):
        last = i == len(term_runs) - 1
        if not run.cjk:
            tokens.append(run.text)
        elif last and len(run.text) > 1:
            tokens.extend(_cjk_tokens(run.text)[:-1])
        else:
            tokens.extend(_cjk_tokens(run.text))
    last_run = term_runs[-1]
    prefix = not last_run.cjk or len(last_run.text) == 1
    return f"{{t b}} : {_phrase(tokens, prefix)}"

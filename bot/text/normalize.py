"""One normalization for indexing, querying and topic matching.

NFKC folds full-width Latin and digits (ＮＣＮＮ → NCNN), casefold makes the
match case-insensitive, OpenCC ``t2s`` maps Traditional to Simplified Chinese
(壓縮 → 压缩). Changing anything here changes what the index holds: bump
``NORMALIZATION_VERSION`` so stores re-index.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

NORMALIZATION_VERSION = 1


# Characters a reader cannot see and no term should hold: NUL and the other C0/C1
# controls (not tab, newlines or other whitespace, which separate terms), zero-width
# space / non-joiner / joiner, word joiner, and the BOM (zero-width no-break space).
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u200b-\u200d\u2060\ufeff]")


def strip_invisible(text: str) -> str:
    """``text`` without invisible characters: what users type is cleaned at the boundary
    (command arguments, topics, search queries) so ``量\u200b化`` is ``量化``."""
    return _INVISIBLE.sub("", text)


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalize(text: str) -> str:
    """Normalize text for substring matching (same function at index and query time)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if folded.isascii():
        return folded
    return str(_t2s().convert(folded))


def normalize_mapped(text: str) -> tuple[str, list[int]]:
    """``normalize`` character by character, with the original index of each output
    character — to mark matches in the original text. Where Traditional→Simplified
    conversion would change the length, it is left out (matches then need the
    Simplified form)."""
    if text.isascii():
        return text.lower(), list(range(len(text)))
    whole = normalize(text)
    if len(whole) == len(text):  # the usual case: one output character per input one
        return whole, list(range(len(text)))
    pieces: list[str] = []
    owners: list[int] = []
    for i, char in enumerate(text):
        folded = unicodedata.normalize("NFKC", char).casefold()
        pieces.append(folded)
        owners.extend([i] * len(folded))
    joined = "".join(pieces)
    simplified = str(_t2s().convert(joined))
    return (simplified if len(simplified) == len(joined) else joined), owners

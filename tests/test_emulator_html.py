"""Telegram's HTML parse mode: what it accepts, what it refuses, and in which words."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.emulator.html import HtmlParseError, _Parser, parse_html


def test_formatting_tags_become_entities_in_utf16_units() -> None:
    parsed = parse_html("😀 <b>粗体</b> <i>it</i> <u>u</u> <s>s</s> <tg-spoiler>x</tg-spoiler>")
    assert parsed.plain == "😀 粗体 it u s x"
    kinds = [(e["type"], e["offset"], e["length"]) for e in parsed.entities]
    # the emoji is two UTF-16 code units, so "粗体" starts at 3
    assert kinds == [
        ("bold", 3, 2),
        ("italic", 6, 2),
        ("underline", 9, 1),
        ("strikethrough", 11, 1),
        ("spoiler", 13, 1),
    ]


def test_synonyms_links_code_and_blockquotes() -> None:
    parsed = parse_html(
        "<strong>a</strong><em>b</em><ins>c</ins><del>d</del><strike>e</strike>"
        '<span class="tg-spoiler">f</span><a href="https://x.org/?a=1&amp;b=2">g</a>'
        '<code>h</code><pre><code class="language-python">i</code></pre>'
        "<blockquote>j</blockquote><blockquote expandable>k</blockquote>"
    )
    assert parsed.plain == "abcdefghijk"
    by_type = {e["type"]: e for e in parsed.entities}
    assert set(by_type) == {
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "text_link",
        "code",
        "pre",
        "blockquote",
        "expandable_blockquote",
    }
    assert by_type["text_link"]["url"] == "https://x.org/?a=1&b=2"
    assert by_type["pre"]["language"] == "python"
    assert "language" not in by_type["code"]


def test_only_four_named_references_and_numeric_ones_are_decoded() -> None:
    parsed = parse_html("&lt;b&gt; &amp; &quot; &#65;&#x1F600; &nbsp; &copy; R&D")
    assert parsed.plain == '<b> & " A😀 &nbsp; &copy; R&D'
    assert parsed.entities == []


def test_entities_are_ordered_like_telegrams() -> None:
    parsed = parse_html("<i><b>x</b></i><s>y<u>z</u></s>")
    assert [(e["type"], e["offset"], e["length"]) for e in parsed.entities] == [
        ("bold", 0, 1),
        ("italic", 0, 1),
        ("strikethrough", 1, 2),
        ("underline", 2, 1),
    ]


def test_empty_tags_make_no_entity_and_case_does_not_matter() -> None:
    parsed = parse_html("<B>x</B><i></i>")
    assert parsed.plain == "x"
    assert [e["type"] for e in parsed.entities] == ["bold"]


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("中文<br>", 'Unsupported start tag "br" at byte offset 6'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ('<span class="big">x</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        (
            "<a href>x</a>",
            'Expected equal sign in declaration of an attribute of the tag "a" at byte offset 0',
        ),
        ("<a href=x'y>z</a>", "Unexpected end of name token at byte offset 8"),
    ],
)
def test_refusals_name_the_tag_and_the_byte_offset(html: str, reason: str) -> None:
    with pytest.raises(HtmlParseError) as caught:
        parse_html(html)
    assert caught.value.reason == reason
    assert caught.value.description == f"can't parse entities: {reason}"


def test_link_without_a_usable_url_keeps_text_but_drops_the_link() -> None:
    parsed = parse_html('<a href="javascript:alert(1)">x</a> <a href="tg://user?id=1">y</a>')
    assert parsed.plain == "x y"
    assert [e.get("url") for e in parsed.entities] == ["tg://user?id=1"]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@given(st.lists(st.tuples(st.sampled_from(["b", "i", "code", None]), st.text(max_size=12))))
def test_escaped_text_round_trips_and_offsets_count_utf16(
    parts: list[tuple[str | None, str]],
) -> None:
    html = "".join(
        _escape(t) if tag is None else f"<{tag}>{_escape(t)}</{tag}>" for tag, t in parts
    )
    parsed = parse_html(html)
    assert parsed.plain == "".join(t for _, t in parts)
    units = parsed.plain.encode("utf-16-le")
    wrapped = [(tag, t) for tag, t in parts if tag is not None and t]
    assert len(parsed.entities) == len(wrapped)
    for entity in parsed.entities:
        start, stop = entity["offset"] * 2, (entity["offset"] + entity["length"]) * 2
        assert (entity["type"], units[start:stop].decode("utf-16-le")) in {
            ({"b": "bold", "i": "italic", "code": "code"}[tag], t) for tag, t in wrapped
        }


@pytest.mark.slow
def test_the_parser_imports_without_the_server() -> None:
    import subprocess
    import sys

    code = "import sys, bot.emulator.html; print('aiohttp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


PIECES = [
    "<b>",
    "</b>",
    "<i>",
    "</i>",
    "</B>",
    "</>",
    "<br>",
    '<a href="x.org">',
    "</a>",
    '<span class="tg-spoiler">',
    "</span>",
    "&amp;",
    "&",
    "<",
    ">",
    "x",
    "😀",
    " ",
    "\n",
    '<code class="language-c">',
    "</code>",
    "<pre>",
    "</pre>",
    "<b",
    "='",
    '"',
]


@given(st.lists(st.sampled_from(PIECES), max_size=30) | st.text(max_size=40))
def test_any_input_parses_or_is_refused_cleanly(pieces: list[str] | str) -> None:
    html = pieces if isinstance(pieces, str) else "".join(pieces)
    try:
        parsed = parse_html(html)
    except HtmlParseError as exc:
        assert exc.description.startswith("can't parse entities: ")
        return
    total = len(parsed.plain.encode("utf-16-le")) // 2
    for entity in parsed.entities:
        assert entity["offset"] >= 0 and entity["length"] > 0
        assert entity["offset"] + entity["length"] <= total


# Same four groups as the parser's token pattern, but they never match: every '<'
# and '&' then goes through the general (tdlib-like) scanner.
GENERAL_ONLY = re.compile(r"((?!))?((?!))?((?!))?((?!))?[<&]")


def _outcome(parser: _Parser) -> object:
    try:
        parsed = parser.run()
    except HtmlParseError as exc:
        return exc.description
    return parsed.plain, parsed.entities


PAIRS = [
    ("<b>", "</b>"),
    ("<i>", "</i>"),
    ("<B>", "</B>"),
    ("<u>", "</>"),
    ('<a href="x.org">', "</a>"),
    ("<a href='y.org'>", "</a>"),
    ("<pre>", "</pre>"),
    ('<code class="language-c">', "</code>"),
    ('<span class="tg-spoiler">', "</span>"),
    ("<blockquote expandable>", "</blockquote>"),
    ("<s>", "</s >"),
]
LEAVES = st.sampled_from(["x", "😀", "中", " ", "\n", "&amp;", "&lt;", "&#65;", "&", "&nbsp;"])
NESTED = st.recursive(
    LEAVES,
    lambda inner: (
        st.builds(
            lambda pair, parts: pair[0] + "".join(parts) + pair[1],
            st.sampled_from(PAIRS),
            st.lists(inner, max_size=4),
        )
        | st.lists(inner, min_size=1, max_size=4).map("".join)
    ),
    max_leaves=24,
)


@given(NESTED | st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
def test_fast_paths_agree_with_the_general_scanner(html: str) -> None:
    general = _Parser(html)
    general.tokens = GENERAL_ONLY
    assert _outcome(_Parser(html)) == _outcome(general)

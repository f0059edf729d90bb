"""Over real HTTP: the emulator's sendMessage accepts every part of every corpus issue,
records no violation, and shows the reader exactly the text `bot preview` shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.digest.parse import parse_issue
from bot.render.digest import render_digest
from bot.render.text import to_plain
from tests.support.emulator import EmulatorClient

pytestmark = pytest.mark.corpus

CHAT = 4242
TOPIC_SETS: list[tuple[list[str], list[str]]] = [([], []), (["量化", "NCNN"], ["招聘"])]


@pytest.mark.slow
async def test_the_emulator_accepts_every_part_of_every_issue(
    emulator: EmulatorClient, corpus_issues: list[Path]
) -> None:
    await emulator.add_chat(CHAT)
    sent: list[str] = []
    for path in corpus_issues:
        issue = parse_issue(path.read_text(encoding="utf-8"), filename=path.name)
        for lang, mode in (("zh", "full"), ("en", "compact"), ("zh", "titles")):
            for include, exclude in TOPIC_SETS:
                parts = render_digest(
                    issue,
                    lang=lang,
                    mode=mode,
                    include=include,
                    exclude=exclude,  # type: ignore[arg-type]
                )
                for part in parts:
                    status, answer = await emulator.call(
                        "sendMessage",
                        chat_id=CHAT,
                        text=part.html,
                        parse_mode="HTML",
                        link_preview_options={"is_disabled": True},
                    )
                    assert status == 200, (path.name, answer)
                    sent.append(part.html)
    stats = await emulator.stats()
    assert stats["violations"] == []
    recorded = await emulator.messages(CHAT)
    assert len(recorded) == len(sent) > 2 * len(corpus_issues)
    for message, html in zip(recorded, sent, strict=True):
        assert message["plain"] == to_plain(html)[0]

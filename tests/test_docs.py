"""The docs a newcomer reads: short README, every command's --help, every setting.

The transcripts themselves are checked against real runs by `make lint` (cog --check);
these tests check what cog cannot: that nothing is missing.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bot.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"


def all_docs() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in [README, *sorted(DOCS.glob("*.md"))])


def command_paths() -> list[str]:
    """`bot`, every command `bot --help` lists, and every subcommand of a group."""
    paths = ["bot"]
    ctx = click.Context(main, info_name="bot")
    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        assert command is not None, name
        paths.append(f"bot {name}")
        if isinstance(command, click.Group):
            sub_ctx = click.Context(command, info_name=name, parent=ctx)
            paths += [f"bot {name} {sub}" for sub in command.list_commands(sub_ctx)]
    return paths


def test_command_paths_cover_the_listing_of_bot_help() -> None:
    listed = CliRunner().invoke(main, ["--help"]).output
    commands = re.findall(r"^  (\S+)\s", listed.split("Commands:")[1], flags=re.M)
    assert commands and {f"bot {c}" for c in commands} <= set(command_paths())
    assert "bot db backup" in command_paths()


@pytest.mark.parametrize("command", command_paths())
def test_every_command_has_its_help_in_the_docs(command: str) -> None:
    docs = all_docs()
    assert f"$ {command} --help\nUsage: {command} " in docs, (
        f"`{command} --help` is in no doc: add `_cog.usage_of({command!r})` to a docs/*.md "
        "cog block, then `make docs`"
    )


def test_readme_fits_in_150_lines_and_names_the_test_command() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    assert "make test" in text and "make demo" in text


def test_every_doc_the_readme_links_exists() -> None:
    text = README.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [link for link in links if not re.match(r"[a-z]+:", link)]
    assert any(link.startswith("docs/") for link in local)
    missing = [link for link in local if not (ROOT / link).exists()]
    assert missing == []
    # and every doc is reachable from the README
    linked = {Path(link).name for link in local if link.startswith("docs/")}
    assert {p.name for p in DOCS.glob("*.md")} <= linked


def test_operators_doc_mentions_every_setting_of_env_example() -> None:
    example = (ROOT / "deploy" / ".env.example").read_text(encoding="utf-8")
    settings = set(re.findall(r"^#?(BOT_[A-Z_]+)=", example, flags=re.M))
    assert settings
    operators = (DOCS / "operators.md").read_text(encoding="utf-8")
    assert sorted(s for s in settings if not re.search(rf"\b{s}\b", operators)) == []


def prose(text: str) -> str:
    """Markdown without fenced blocks and inline code (links there are examples)."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    return re.sub(r"`[^`\n]*`", "", text)


def anchors(doc: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"^```.*?^```", "", doc.read_text(encoding="utf-8"), flags=re.M | re.S)
    heads = re.findall(r"^#+ (.+)$", text, flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in heads}


def test_links_between_docs_resolve_with_their_anchors() -> None:
    for doc in [README, *sorted(DOCS.glob("*.md"))]:
        text = prose(doc.read_text(encoding="utf-8"))
        for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)\s]*))?\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            path = (doc.parent / target) if target else doc
            assert path.exists(), f"{doc.name} links to missing {target}"
            if anchor and path.suffix == ".md":
                assert anchor in anchors(path), f"{doc.name} links to missing {target}#{anchor}"

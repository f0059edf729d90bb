"""The fields the sign-up form and the preferences page share, parsed one way for both:
the catalogue topics a reader ticked, and the language of the mails.

A form's ``topics`` are catalogue slugs; anything else is ignored (a hand-made POST
cannot store an unknown slug), a repeated one counts once, and no more values are looked
at than the catalogue has topics. The mail language is ``zh`` or ``en``; anything else
keeps the language the reader already has (the page's, or the subscriber's).
"""

from __future__ import annotations

from bot.i18n import Lang
from bot.topics.catalog import Topic, load_catalog
from bot.topics.filter import topic_name


def catalogue() -> dict[str, Topic]:
    """The catalogue's topics by slug, in catalogue order."""
    return {topic.slug: topic for topic in load_catalog().topics}


def known_slugs(slugs: list[str]) -> list[str]:
    """The catalogue slugs among ``slugs``, each once, in the order sent."""
    known = catalogue()
    wanted: list[str] = []
    for slug in slugs[: len(known)]:
        if slug in known and slug not in wanted:
            wanted.append(slug)
    return wanted


def mail_lang(sent: str, current: Lang) -> Lang:
    """The ``lang`` field as sent, when it is a language of ours; else ``current``."""
    if sent == "en":
        return "en"
    return "zh" if sent == "zh" else current


def topic_choices(lang: Lang, ticked: set[str]) -> list[dict[str, object]]:
    """Every catalogue topic as a checkbox: slug, label in ``lang``, ticked or not."""
    return [
        {"slug": topic.slug, "label": topic_name(topic, lang), "checked": topic.slug in ticked}
        for topic in load_catalog().topics
    ]

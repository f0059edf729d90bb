"""The Jinja2 environment for Telegram messages, loading the repository's ``templates/``.

``templates/`` sits at the top of the repository, beside the ``bot`` package,
so it is found relative to this file (``bot/render/env.py`` → ``../../templates``).
That holds for a source checkout and for the editable install the project uses
(``pip install -e .`` maps ``bot`` to the checkout). A wheel install does not
ship the folder: :func:`templates_dir` then fails with one clear sentence.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from bot.i18n import t


class TemplatesMissing(RuntimeError):
    """The templates folder is not where an editable install keeps it."""


def templates_dir() -> Path:
    """The repository's ``templates/`` folder."""
    folder = Path(__file__).resolve().parents[2] / "templates"
    if not (folder / "telegram").is_dir():
        raise TemplatesMissing(
            f"message templates not found in {folder}; install digest-bot from a checkout "
            "with `pip install -e .`"
        )
    return folder


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """One shared, immutable-by-convention environment (templates are cached by Jinja)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def render(template: str, lang: str, /, **context: Any) -> str:
    """Render ``templates/<template>`` in ``lang``, stripped of surrounding whitespace.

    Templates get :func:`bot.i18n.t` bound to ``lang`` — ``t(key, **kw)`` — so they
    read the same catalogue as the handlers; its result is ``Markup`` (arguments
    escaped), which autoescape keeps as it is.
    """

    def translate(key: str, /, **kw: object) -> Markup:
        return t(key, lang, **kw)

    return environment().get_template(template).render(t=translate, **context).strip()

"""The Jinja2 environment for every channel's templates, loading the package's ``templates/``.

Templates ending in ``.txt.j2`` (e-mail text parts) are plain text: not autoescaped,
rendered with :func:`render_text`, whose ``t`` is the catalogue's plain-text twin.
Every other template is HTML, autoescaped.

Templates are written in the repository's top-level ``templates/`` folder (the
layout the project guide fixes). ``bot/templates`` is a committed symlink to it,
so the folder is also package data: setuptools follows the symlink and copies the
files into the wheel and the sdist (declared in pyproject.toml), and
``jinja2.PackageLoader`` finds them the same way in a checkout, an editable
install and a wheel install.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2
from markupsafe import Markup

from bot.i18n import t, t_text

TEXT_SUFFIX = ".txt.j2"


def _autoescape(name: str | None) -> bool:
    return not (name or "").endswith(TEXT_SUFFIX)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """One shared, immutable-by-convention environment (templates are cached by Jinja)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("bot", "templates"),
        autoescape=_autoescape,
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


def render_text(template: str, lang: str, /, **context: Any) -> str:
    """Render the plain-text template ``templates/<template>`` (``*.txt.j2``) in ``lang``:
    nothing is escaped and ``t(key, **kw)`` is :func:`bot.i18n.t_text`."""
    if not template.endswith(TEXT_SUFFIX):
        raise ValueError(f"{template} is not a plain-text template (*{TEXT_SUFFIX})")

    def translate(key: str, /, **kw: object) -> str:
        return t_text(key, lang, **kw)

    return environment().get_template(template).render(t=translate, **context).strip() + "\n"

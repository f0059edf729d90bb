"""The Jinja2 environment for Telegram messages, loading the package's ``templates/``.

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

from bot.i18n import t


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """One shared, immutable-by-convention environment (templates are cached by Jinja)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("bot", "templates"),
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

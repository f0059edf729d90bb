"""One aiogram Router per feature; each module exposes ``build_router()``."""

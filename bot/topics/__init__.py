"""The topic catalogue and tagging: pure (only ``bot.text`` and ``bot.digest.model``).

``catalog``: load and validate ``catalog.toml``, resolve what a reader types,
suggest topics for an unknown word. ``match``: tag an entry with its topics and
the terms that matched; a reader's free word keeps substring semantics.
"""

"""Publishing an issue: the one pipeline behind `bot publish`, the daemon's scheduled
publishes and Telegram's /publish.

- ``pipeline``: :func:`publish_issue` ingests a parsed issue and enqueues its delivery
  in one transaction (or computes it all and rolls back, for ``--dry-run``).
- ``release``: :func:`publish_text` lints an issue's text first and says in one line
  what went out; :class:`PublishRefused` when lint forbids it.
"""

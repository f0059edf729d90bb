"""The archive and subscriber store: all SQL lives in this package.

Every function takes an open ``aiosqlite.Connection`` (from ``open_db``) and
does not commit: callers group work with ``transaction(conn)``.

- ``db``: ``open_db(path)`` (async context manager: WAL, foreign keys, busy
  timeout, migrations), ``transaction``, ``savepoint``, ``default_db_path``,
  ``StoreError`` / ``DatabaseUnavailable`` (one sentence each), ``utc_now``.
- ``migrations``: ``STEPS``, ``migrate``, ``applied_steps``.
- ``issues``: ``ingest_issue(conn, issue, file_hash, text) -> IngestResult``,
  ``file_hash(text)``, ``list_issues``, ``get_issue(conn, date=None)``, ``list_revisions``.
- ``chats``: ``upsert_chat``, ``get_chat``, ``set_status``, ``update_settings``,
  ``move_chat``, ``count_chats``.
- ``topics``: ``parse_topic``, ``add_topics``, ``remove_topic``, ``list_topics``,
  ``clear_topics``, ``active_chats_with_topics``.
- ``outbox``: ``enqueue``, ``count_by_status`` (the sender lives in bot.delivery).
- ``fts`` / ``search``: the search index and its queries (used by bot.search).
"""

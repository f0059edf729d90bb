"""The archive and subscriber store: all SQL lives in this package.

Store functions take an ``aiosqlite.Connection`` and never commit. A process opens
one :class:`~bot.store.database.Database` (``open_database``): reads go to its
``reader``; every write is one ``Database.write(action)`` — serialized, in one
``BEGIN IMMEDIATE`` transaction, retried while another process holds the lock.

- ``base``: ``StoreError`` / ``DatabaseUnavailable`` (one sentence each) and the one
  spelling of stored time (``utc_now``, ``to_stamp``, ``parse_stamp``, ``stamp``).
- ``database``: ``Database`` and ``open_database`` — the one write path.
- ``db``: opening a connection (WAL, foreign keys, busy timeout, migrations),
  ``transaction``, ``savepoint``, ``default_db_path``.
- ``migrations``: every schema step, in order (a leaf: it imports only ``base``).
- ``issues``: ingesting issues and their revisions, listing and reading them.
- ``chats`` / ``topics``: subscribers, their settings and their topics.
- ``outbox`` / ``enqueue`` / ``deliveries`` / ``delivery_report``: the delivery outbox —
  planning rows, the sender's leases and marks, and what it holds.
- ``scheduled``: publishes scheduled with ``bot publish --at``.
- ``leases``: who runs on this database (the `bot run` lease, sender heartbeats).
- ``fts`` / ``search``: the search index and its queries (used by bot.search).
- ``entry_topics`` / ``topic_pages``: entries' catalogue topics; a topic's entries across
  issues, paged (the web's topic pages and feeds).
"""

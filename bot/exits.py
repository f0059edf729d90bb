"""What each exit status of a `bot` command means (docs/operators.md has the table).

The service manager acts on them: systemd's unit and Docker restart the bot on every
failure except ``CONFIG`` and ``DAMAGED``, which no restart can mend.
"""

from __future__ import annotations

OK = 0
FAILED = 1  # the command ran and failed (lint errors, Telegram unreachable, a crash)
CONFIG = 2  # configuration or usage: bad settings, a refused token, another bot run holds
# the database, a path or permissions to fix. Not restarted: fix it first.
DAMAGED = 65  # EX_DATAERR: the database is missing where one is expected, or damaged.
# Not restarted: restore a backup (or create one on purpose with `bot db init`).
TEMPFAIL = 75  # EX_TEMPFAIL: a fault of the environment that may pass (disk full, a file
# system remounted read-only, an I/O error, the database deleted under the running bot).
# Restarted after a pause.

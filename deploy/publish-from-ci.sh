#!/bin/sh
# Forced command for the CI key (deploy/github/publish-on-release.yml). In
# ~digestbot/.ssh/authorized_keys on the bot's host:
#   command="/opt/digest-bot/deploy/publish-from-ci.sh",restrict ssh-ed25519 AAAA... ci@digest
# The client runs `ssh digestbot@host "publish 2021-01-05.md" < 2021-01-05.md`.
# Only that one verb, a date-shaped file name and at most 1 MiB of input are accepted.
set -eu

ENV_FILE="${DIGEST_BOT_ENV:-/etc/digest-bot/env}"
BOT="${DIGEST_BOT_BIN:-/opt/digest-bot/.venv/bin/bot}"
MAX_BYTES=1048576

set -f  # no globbing of the client's words
# shellcheck disable=SC2086
set -- ${SSH_ORIGINAL_COMMAND:-}
if [ "$#" -ne 2 ] || [ "$1" != "publish" ]; then
    echo "usage: publish YYYY-MM-DD.md < issue.md" >&2
    exit 2
fi
case "$2" in
    [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9].md) name="$2" ;;
    *) echo "the file name must be an issue date like 2021-01-05.md" >&2; exit 2 ;;
esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
head -c "$((MAX_BYTES + 1))" > "$work/$name"
if [ "$(wc -c < "$work/$name")" -gt "$MAX_BYTES" ]; then
    echo "the issue is larger than 1 MiB; refusing it" >&2
    exit 2
fi

# Same settings as the service (BOT_DB under /var/lib/digest-bot).
set -a
. "$ENV_FILE"
set +a
export BOT_DB="${BOT_DB:-/var/lib/digest-bot/bot.sqlite3}"
status=0
"$BOT" publish "$work/$name" || status=$?
exit "$status"

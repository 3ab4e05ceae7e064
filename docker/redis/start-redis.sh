#!/bin/sh
# Start Redis with the replica's password (REDIS_PASSWORD), refusing to run without one. The
# password goes in on stdin as configuration, not as an argument: any user of the host can read a
# container process's command line with `ps`.
set -eu
if [ -z "${REDIS_PASSWORD:-}" ]; then
    echo "start-redis: REDIS_PASSWORD is empty; run the replica through \`invoke staging.up\`" >&2
    exit 1
fi
case "$REDIS_PASSWORD" in
    *[!A-Za-z0-9_-]*) echo "start-redis: REDIS_PASSWORD must be letters, digits, - or _" >&2; exit 1 ;;
esac
exec redis-server - --bind 0.0.0.0 --protected-mode no --save "" --appendonly no <<CONFIG
requirepass $REDIS_PASSWORD
CONFIG

#!/bin/sh
# Write pgbouncer.ini and the auth file from the environment, then exec pgbouncer in the foreground.
# Settings are Neon's pooler's (https://neon.com/docs/connect/connection-pooling): transaction mode,
# max_client_conn=10000, default_pool_size=0.9*max_connections, max_prepared_statements=1000,
# query_wait_timeout=120. Each can be overridden with the PGBOUNCER_* variable named below.
set -eu

fail() { echo "pgbouncer-entrypoint: $*" >&2; exit 2; }

: "${DB_USER:?DB_USER is required (the upstream role clients log in as)}"
: "${DB_PASSWORD:?DB_PASSWORD is required}"
: "${DB_HOST:?DB_HOST is required (host or host:port of the upstream PostgreSQL)}"
DB_NAME="${DB_NAME:-}"

case "$DB_HOST" in
  *:*) upstream_host="${DB_HOST%:*}"; upstream_port="${DB_HOST##*:}" ;;
  *)   upstream_host="$DB_HOST"; upstream_port="${DB_UPSTREAM_PORT:-5432}" ;;
esac

is_count() { case "$1" in ''|*[!0-9]*) return 1 ;; *) [ "$1" -gt 0 ] ;; esac; }
# 0 turns prepared-statement tracking off: what PgBouncer before 1.21 (bookworm's 1.18) behaves like.
prepared="${PGBOUNCER_MAX_PREPARED_STATEMENTS:-1000}"
case "$prepared" in ''|*[!0-9]*) fail "PGBOUNCER_MAX_PREPARED_STATEMENTS must be 0 or more, got '$prepared'" ;; esac

# Neon: 0.9 * the compute's max_connections (104 at 0.25 CU -> 93), per user/database pair.
max_connections="${DB_MAX_CONNECTIONS:-104}"
is_count "$max_connections" || fail "DB_MAX_CONNECTIONS must be a positive integer, got '$max_connections'"
pool_size="${PGBOUNCER_DEFAULT_POOL_SIZE:-$((max_connections * 9 / 10))}"
for pair in "PGBOUNCER_DEFAULT_POOL_SIZE=$pool_size" \
            "PGBOUNCER_MAX_CLIENT_CONN=${PGBOUNCER_MAX_CLIENT_CONN:-10000}" \
            "PGBOUNCER_QUERY_WAIT_TIMEOUT=${PGBOUNCER_QUERY_WAIT_TIMEOUT:-120}" \
            "PGBOUNCER_LISTEN_PORT=${PGBOUNCER_LISTEN_PORT:-6432}"; do
  is_count "${pair#*=}" || fail "${pair%%=*} must be a positive integer, got '${pair#*=}'"
done
case "${PGBOUNCER_POOL_MODE:-transaction}" in
  session|transaction|statement) ;;
  *) fail "PGBOUNCER_POOL_MODE must be session, transaction or statement" ;;
esac

conf=/etc/pgbouncer/run
umask 077
# Neon's pooled endpoint is TLS too: PGBOUNCER_CLIENT_TLS=require serves TLS to clients (plain ones
# are refused) with a throwaway self-signed certificate, which sslmode=require accepts unverified.
case "${PGBOUNCER_CLIENT_TLS:-off}" in
  off) client_tls="client_tls_sslmode = disable" ;;
  require)
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=pgbouncer \
      -keyout "$conf/client.key" -out "$conf/client.crt" 2>/dev/null \
      || fail "PGBOUNCER_CLIENT_TLS=require: openssl could not make a certificate"
    client_tls="client_tls_sslmode = require
client_tls_key_file = $conf/client.key
client_tls_cert_file = $conf/client.crt
; only for verifying client certificates, which require never asks for; unset, the TLS setup fails
client_tls_ca_file = $conf/client.crt" ;;
  *) fail "PGBOUNCER_CLIENT_TLS must be off or require, got '${PGBOUNCER_CLIENT_TLS}'" ;;
esac
# userlist.txt: "user" "password", with any double quote in either doubled.
quote() { printf '"%s"' "$(printf '%s' "$1" | sed 's/"/""/g')"; }
printf '%s %s\n' "$(quote "$DB_USER")" "$(quote "$DB_PASSWORD")" > "$conf/userlist.txt"

cat > "$conf/pgbouncer.ini" <<INI
[databases]
; Any database name is passed through to the one upstream server (the app's and test databases).
* = host=$upstream_host port=$upstream_port

[pgbouncer]
listen_addr = ${PGBOUNCER_LISTEN_ADDR:-0.0.0.0}
listen_port = ${PGBOUNCER_LISTEN_PORT:-6432}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $conf/userlist.txt
pool_mode = ${PGBOUNCER_POOL_MODE:-transaction}
max_client_conn = ${PGBOUNCER_MAX_CLIENT_CONN:-10000}
default_pool_size = $pool_size
max_prepared_statements = $prepared
query_wait_timeout = ${PGBOUNCER_QUERY_WAIT_TIMEOUT:-120}
ignore_startup_parameters = extra_float_digits
server_tls_sslmode = prefer
$client_tls
log_connections = ${PGBOUNCER_LOG_CONNECTIONS:-0}
log_disconnections = ${PGBOUNCER_LOG_CONNECTIONS:-0}
stats_period = 60
; Read-only SHOW commands on the admin console (database "pgbouncer") for status and parity checks.
stats_users = $DB_USER
INI

echo "pgbouncer-entrypoint: ${PGBOUNCER_POOL_MODE:-transaction} pooling to $upstream_host:$upstream_port" \
     "(default database ${DB_NAME:-any}), pool $pool_size, listening on" \
     "${PGBOUNCER_LISTEN_ADDR:-0.0.0.0}:${PGBOUNCER_LISTEN_PORT:-6432}, client TLS" \
     "${PGBOUNCER_CLIENT_TLS:-off}" >&2
exec pgbouncer "$conf/pgbouncer.ini"

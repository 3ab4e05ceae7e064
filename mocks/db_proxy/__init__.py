"""db-proxy: a PostgreSQL-aware TCP proxy that gives the local database Neon's network behaviour.

    python -m mocks.db_proxy --listen 0.0.0.0:5432 --upstream db:5432

- DB_PROXY_LATENCY_MS: delay on every server-to-client chunk (each round trip gets that much slower).
- DB_PROXY_COLD_START_MS / DB_PROXY_IDLE_S / DB_PROXY_COLD_START_MODE: scale to zero, as Neon's.
- DB_PROXY_TLS=require: SSLRequest negotiation with a self-signed certificate; plain clients refused.
See mocks/db_proxy/README.md.
"""

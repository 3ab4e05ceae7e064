"""What every throwaway PostgreSQL of the tests offers beyond its URL: databases made and dropped
by name. A server class gives `psql(sql)` and `url_for(database)`; this adds the rest."""
from __future__ import annotations


class DatabaseAdmin:
    """create_database / drop_database over the server's own psql(sql) and url_for(name)."""

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create a database (optionally copied from a template) and return its URL."""
        suffix = f' TEMPLATE "{template}"' if template else ""
        self.psql(f'CREATE DATABASE "{name}"{suffix}')
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

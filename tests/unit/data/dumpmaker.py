"""Build small pg_dump-shaped dumps (the layout pg_dump 18 writes) from Python rows."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SALT = b"unit-test-salt-0123456789"

HEADER = """--
-- PostgreSQL database dump
--

\\restrict abc123

-- Dumped from database version {major}.6
-- Dumped by pg_dump version {major}.6

SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);

"""
TABLES = {
    "users": """CREATE TABLE public.users (
    id bigint NOT NULL,
    email text NOT NULL,
    username text NOT NULL,
    display_name text,
    password_hash text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_login_at timestamp with time zone
);
""",
    "meetings": """CREATE TABLE public.meetings (
    id bigint NOT NULL,
    owner_id bigint NOT NULL,
    title text NOT NULL,
    description text,
    status text DEFAULT 'scheduled'::text NOT NULL,
    started_at timestamp with time zone,
    ended_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT meetings_status_check CHECK ((status = ANY (ARRAY['scheduled'::text, 'live'::text, 'ended'::text])))
);
""",
    "transcript_segments": """CREATE TABLE public.transcript_segments (
    id bigint NOT NULL,
    meeting_id bigint NOT NULL,
    seq integer NOT NULL,
    speaker text,
    text text NOT NULL,
    start_ms integer,
    end_ms integer,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
""",
}
COLUMNS = {t: [line.split()[0] for line in ddl.splitlines()[1:-1] if not line.strip().startswith("CONSTRAINT")]
           for t, ddl in TABLES.items()}
FOOTER = """
--
-- PostgreSQL database dump complete
--

\\unrestrict abc123

"""
TS = "2026-01-02 03:04:05+00"


def copy_field(value) -> str:
    if value is None:
        return "\\N"
    return (str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


def sql_literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def make_dump(rows: dict[str, list[list]], style: str = "copy", major: int = 18,
              complete: bool = True) -> bytes:
    """Return a dump of the three tables holding rows (lists in COLUMNS order)."""
    parts = [HEADER.format(major=major)]
    parts += [TABLES[t] + "\n" for t in TABLES]
    for table in TABLES:
        cols = COLUMNS[table]
        if style == "copy":
            parts.append(f"COPY public.{table} ({', '.join(cols)}) FROM stdin;\n")
            parts += ["\t".join(copy_field(v) for v in row) + "\n" for row in rows.get(table, [])]
            parts.append("\\.\n\n")
        else:
            for row in rows.get(table, []):
                collist = f" ({', '.join(cols)})" if style == "column-inserts" else ""
                parts.append(f"INSERT INTO public.{table}{collist} VALUES "
                             f"({', '.join(sql_literal(v) for v in row)});\n")
    if complete:
        parts.append(FOOTER)
    return "".join(parts).encode("utf-8", "surrogatepass")


def sample_rows(users=3, segments_per_meeting=3) -> dict[str, list[list]]:
    """A tiny consistent data set: one meeting per user, segments spoken by the users."""
    rows = {"users": [], "meetings": [], "transcript_segments": []}
    for uid in range(1, users + 1):
        rows["users"].append([uid, f"person{uid}@corp.example", f"person_{uid}", f"Person Number{uid}",
                              f"pbkdf2:sha256:600000$salt{uid}$hash{uid}", TS, None])
        rows["meetings"].append([uid, uid, f"Secret plan {uid}", None, "ended", TS, TS, TS])
        for seq in range(segments_per_meeting):
            sid = (uid - 1) * segments_per_meeting + seq + 1
            rows["transcript_segments"].append(
                [sid, uid, seq, f"Person Number{uid}", f"confidential words {uid}-{seq}", 0, 10, TS])
    return rows

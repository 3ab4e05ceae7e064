"""Properties of the sanitizer over generated data: no leaks, determinism, joins preserved."""
from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from replica.data.dumps.reader import rows as read_rows

from tests.unit.data.dumpmaker import SALT
from tests.unit.data.dumpmaker import TS, make_dump

# Any text pg_dump could hold: tabs, newlines, backslashes, quotes, non-ASCII (no NUL, no lone
# surrogates: PostgreSQL text cannot store them).
text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
               min_size=1, max_size=40)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STYLES = st.sampled_from(["copy", "inserts", "column-inserts"])


@st.composite
def datasets(draw):
    """Users with unique emails/usernames, one meeting each, segments spoken by known speakers."""
    n = draw(st.integers(1, 6))
    emails = draw(st.lists(text, min_size=n, max_size=n, unique=True))
    names = draw(st.lists(text, min_size=n, max_size=n, unique=True))
    users, meetings, segments = [], [], []
    for uid in range(1, n + 1):
        users.append([uid, emails[uid - 1], names[uid - 1], draw(st.one_of(st.none(), text)),
                      draw(text), TS, None])
        meetings.append([uid, uid, draw(text), draw(st.one_of(st.none(), text)), "ended", TS, TS, TS])
    speakers = [u[3] or u[2] for u in users]
    for sid in range(1, draw(st.integers(0, 12)) + 1):
        meeting = draw(st.integers(1, n))
        segments.append([sid, meeting, sid, draw(st.sampled_from(speakers)), draw(text), 0, 5, TS])
    return {"users": users, "meetings": meetings, "transcript_segments": segments}


SENSITIVE = {"users": (1, 2, 3, 4), "meetings": (2, 3), "transcript_segments": (3, 4)}


def sensitive_values(data) -> set[str]:
    return {row[i] for t, idx in SENSITIVE.items() for row in data[t] for i in idx
            if row[i] is not None}


def kept_values(data) -> set[str]:
    return {str(v) for t, rows in data.items() for row in rows
            for i, v in enumerate(row) if i not in SENSITIVE[t] and v is not None}


def table_rows(dump: bytes) -> dict[str, list[list]]:
    found: dict[str, list[list]] = {}
    for table, _, values, _ in read_rows(io.BytesIO(dump)):
        found.setdefault(table.split(".")[1], []).append(
            [None if v is None else v.decode("utf-8", "surrogateescape") for v in values])
    return found


@SETTINGS
@given(data=datasets(), style=STYLES)
def test_no_sensitive_value_of_the_input_appears_in_the_output(run, data, style):
    out = table_rows(run(make_dump(data, style)))
    secret = {v for v in sensitive_values(data) if len(v.encode()) >= 4} - kept_values(data)
    output_values = {v for rows in out.values() for row in rows for v in row}
    assert not secret & output_values
    replaced = [row[i] for t, idx in SENSITIVE.items() for row in out.get(t, []) for i in idx
                if row[i] is not None]
    for value in secret:
        # long enough that a chance substring match is impossible, unless it is a piece of
        # every fake email's domain ("example.")
        if len(value) >= 8 and value not in "@example.com":
            assert not any(value in field for field in replaced)


@SETTINGS
@given(data=datasets(), style=STYLES)
def test_same_input_and_salt_give_the_same_output_and_another_salt_does_not(run, data, style):
    dump = make_dump(data, style)
    first, second = run(dump), run(dump)
    assert first == second
    other = table_rows(run(dump, salt=b"another-salt-0123456789"))
    assert [r[1] for r in other["users"]] != [r[1] for r in table_rows(first)["users"]]


@SETTINGS
@given(data=datasets(), style=STYLES)
def test_keys_are_kept_and_equal_values_map_to_equal_fakes(run, data, style):
    out = table_rows(run(make_dump(data, style)))
    for table, rows in data.items():
        got = out.get(table, [])
        assert len(got) == len(rows)
        for before, after in zip(rows, got):
            assert after[0] == str(before[0])  # ids and foreign keys untouched
            assert after[1] == str(before[1]) or table == "users"
    emails = [r[1] for r in out["users"]]
    assert len(set(emails)) == len(emails)  # distinct emails stay distinct (unique index holds)
    assert len({r[2] for r in out["users"]}) == len(out["users"])
    # A speaker and the display name it came from map to the same fake name everywhere.
    fake_of = {}
    for before, after in zip(data["transcript_segments"], out.get("transcript_segments", [])):
        assert fake_of.setdefault(before[3], after[3]) == after[3]
    for before, after in zip(data["users"], out["users"]):
        if before[3] is not None and before[3] in fake_of:
            assert after[3] == fake_of[before[3]]


@SETTINGS
@given(data=datasets())
def test_copy_and_insert_dumps_of_the_same_data_get_the_same_fakes(run, data):
    copy_rows = table_rows(run(make_dump(data, "copy")))
    insert_rows = table_rows(run(make_dump(data, "inserts")))
    assert copy_rows == insert_rows


# eventlet, imported into this test process by the app's unit tests, warns on every fork; the
# sanitizer itself never runs under eventlet.
@pytest.mark.filterwarnings("ignore:Using fork:DeprecationWarning")
@SETTINGS
@given(data=datasets())
def test_worker_threads_or_processes_give_the_same_output_as_one(run, data):
    dump = make_dump(data, "copy")
    alone = run(dump)
    assert run(dump, workers=2) == alone  # threads with the compiled loop, else processes
    assert run(dump, workers=2, native=False) == alone  # processes, the Python loop

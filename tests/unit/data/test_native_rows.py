"""The compiled COPY row loop gives exactly the pure-Python loop's bytes, errors included."""
from __future__ import annotations

import shutil
import sysconfig

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from replica.data.dumps import rows, source
from replica.data.errors import TruncatedDumpError
from replica.data.fakes import KINDS, Fakes
from replica.data.dumps.policy import Rule

from tests.unit.data.dumpmaker import SALT, make_dump, sample_rows

compiled = pytest.mark.skipif(not rows.NATIVE, reason="the compiled row loop is not built here")

RULES = st.one_of(st.sampled_from([Rule("keep"), Rule("drop"), Rule("null"), Rule("hash")]),
                  st.sampled_from(sorted(KINDS)).map(lambda kind: Rule("fake", kind)))
# COPY fields: any bytes but the row and field separators, with escapes and \N made likely.
FIELD = st.one_of(
    st.just(b"\\N"),
    st.binary(max_size=300).map(lambda b: b.replace(b"\t", b" ").replace(b"\n", b" ")),
    st.lists(st.sampled_from([b"\\", b"\\\\", b"\\t", b"\\n", b"\\x", b"\\x4", b"\\x4f", b"\\7",
                              b"\\101", b"\\777", b"\\q", b"a", b"\xc3\xa9", b"0", b"f"]),
             max_size=12).map(b"".join))
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def tables(draw):
    rules = draw(st.lists(RULES, min_size=1, max_size=7))
    if all(r.action == "keep" for r in rules):
        rules[0] = Rule("fake", "text")
    lines = draw(st.lists(st.lists(FIELD, min_size=len(rules), max_size=len(rules)), max_size=20))
    return rules, b"".join(b"\t".join(fields) + b"\n" for fields in lines)


def both(rules, salt=SALT):
    fakes = Fakes(salt)
    return (rows.python_copy_rewriter("public.t", rules, fakes),
            rows.native_copy_rewriter("public.t", rules, fakes))


@compiled
@SETTINGS
@given(table=tables(), salt=st.binary(min_size=16, max_size=40))
def test_the_compiled_loop_writes_the_python_loops_bytes(table, salt):
    rules, chunk = table
    python, native = both(rules, salt)
    assert native(chunk, 1) == python(chunk, 1)


@compiled
@SETTINGS
@given(table=tables(), extra=st.integers(-3, 3).filter(bool), at=st.integers(0, 50))
def test_a_row_with_the_wrong_number_of_fields_is_the_same_error(table, extra, at):
    rules, chunk = table
    lines = chunk.split(b"\n")[:-1]
    at = min(at, len(lines))
    width = len(rules)
    fields = [b"x"] * max(width + extra, 1)
    if len(fields) == width:
        fields.append(b"y")
    lines.insert(at, b"\t".join(fields))
    errors = []
    for rewrite in both(rules):
        with pytest.raises(TruncatedDumpError) as caught:
            rewrite(b"\n".join(lines) + b"\n", 40)
        errors.append(str(caught.value))
    assert errors[0] == errors[1]
    assert errors[0].startswith(f"line {40 + at}: a row of public.t has {len(fields)} fields")


@compiled
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_repeated_values_get_the_same_fake_through_the_compiled_loops_cache(kind):
    # 600 distinct short values cycling through 256 cache slots: hits, misses and evictions.
    python, native = both([Rule("keep"), Rule("fake", kind), Rule("hash")])
    chunk = b"".join(b"%d\tspeaker \\t%d\tv%d\n" % (i, i % 600, i % 7) for i in range(3000))
    assert native(chunk, 1) == python(chunk, 1)


@compiled
def test_a_trailing_partial_line_is_left_out_by_both():
    python, native = both([Rule("keep"), Rule("fake", "text")])
    chunk = b"1\tsecret text\n2\tpartial"
    assert native(chunk, 1) == python(chunk, 1)
    assert b"partial" not in native(chunk, 1)


@compiled
def test_whole_dumps_come_out_the_same_compiled_threaded_and_in_python(run):
    dump = make_dump(sample_rows(users=40, segments_per_meeting=30))
    expected = run(dump, native=False)
    assert run(dump, native=True) == expected
    assert run(dump, native=True, workers=2) == expected


MARKER_CHUNKS = st.lists(st.sampled_from([b"1\ta\n", b"\\.\n", b"\\.", b"x\\.\n", b"\\.x\n",
                                          b"\\\\.\n", b"\n", b"\\", b".\n", b"\\.\r\n"]),
                        max_size=12).map(b"".join)


@compiled
@settings(max_examples=500, deadline=None)
@given(data=MARKER_CHUNKS)
def test_the_compiled_scan_splits_copy_data_where_the_python_split_does(data):
    rows, marker, rest = source.split_block(data)
    assert source.split_rows(data) == (rows, marker, rest, rows.count(b"\n"))


@compiled
@pytest.mark.parametrize("plan, error", [
    (["keep", "fake"], "column 1: unknown operation 'fake'"),
    ([3], "column 0: unknown operation 3"),
])
def test_the_compiled_loop_refuses_a_plan_it_does_not_know(plan, error):
    with pytest.raises(ValueError, match=error):
        rows._copyrows.Rewriter(b"k" * 32, plan, **Fakes.native_tables())


@compiled
def test_the_compiled_loop_refuses_a_key_blake2b_cannot_take():
    with pytest.raises(ValueError, match="1 to 64 bytes"):
        rows._copyrows.Rewriter(b"k" * 65, ["text"], **Fakes.native_tables())


def test_where_a_c_compiler_exists_the_install_built_the_compiled_loop():
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if not shutil.which(compiler):
        pytest.skip(f"no C compiler ({compiler}) here: the pure-Python loop is expected")
    assert rows.NATIVE, "pip install built no replica.data.dumps._copyrows: see setup.py"

"""The policy file: the repo's own loads; typos are errors that say where and what to write."""
from __future__ import annotations

import pytest

from replica.data.dumps import policy as policy_module
from replica.data.errors import PolicyError

from tests.unit.data.dumpmaker import ROOT


def write(tmp_path, text: str):
    path = tmp_path / "sanitize.yml"
    path.write_text(text)
    return path


def test_the_repository_policy_classifies_every_table_of_the_schema():
    rules = policy_module.load(ROOT / "db" / "sanitize.yml")
    assert {"public.users", "public.meetings", "public.transcript_segments", "public.summaries",
            "public.alembic_version"} <= set(rules.tables)
    assert rules.tables["public.users"]["email"] == policy_module.Rule("fake", "email")


@pytest.mark.parametrize("rule, message", [
    ("fak email", "'fak email' is not an action"),
    ("fake emial", "needs one kind of fake value"),
    ("fake", "needs one kind of fake value"),
    ("keep please", "`keep` takes no argument"),
    ("", "is not an action"),
])
def test_a_typo_in_a_rule_names_table_and_column(tmp_path, rule, message):
    path = write(tmp_path, f"tables:\n  users:\n    id: keep\n    email: {rule!r}\n")
    with pytest.raises(PolicyError, match=message) as error:
        policy_module.load(path)
    assert "users.email" in str(error.value)
    assert error.value.hint


def test_an_unknown_top_level_key_is_an_error(tmp_path):
    path = write(tmp_path, "version: 1\ntabels:\n  users:\n    id: keep\n")
    with pytest.raises(PolicyError, match="no `tables:` mapping"):
        policy_module.load(path)
    path = write(tmp_path, "tables:\n  users:\n    id: keep\nsalt: x\n")
    with pytest.raises(PolicyError, match="unknown key"):
        policy_module.load(path)


def test_invalid_yaml_reports_the_line(tmp_path):
    path = write(tmp_path, "tables:\n  users:\n    id: keep\n   email: [fake\n")
    with pytest.raises(PolicyError, match=r"not valid YAML at line \d+"):
        policy_module.load(path)


def test_a_missing_policy_file_says_how_to_point_at_one(tmp_path):
    with pytest.raises(PolicyError, match="cannot read policy") as error:
        policy_module.load(tmp_path / "nope.yml")
    assert "--policy" in error.value.hint


def test_schema_qualified_and_plain_table_names_mean_the_same_table():
    assert policy_module.qualify("users") == policy_module.qualify('public."users"') == "public.users"
    assert policy_module.qualify("audit.log") == "audit.log"

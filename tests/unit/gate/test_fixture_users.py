"""The gate hands its fixture-user picks to the smoke suite through the environment."""
import pytest

from replica.gate import fixture_users
from replica.gate.fixture_users import ENV, FixtureUser


def test_picks_handed_over_read_back_as_they_were(monkeypatch):
    heavy = [FixtureUser("a", 301, 7, 500), FixtureUser("b", 120, 9, 40)]
    light = FixtureUser("c", 1, 2, 20)
    monkeypatch.setattr(fixture_users, "_read", lambda url: (heavy, light))
    assert fixture_users.from_environment(fixture_users.pinned("postgresql://x/db")) == (heavy, light)


def test_nothing_read_hands_nothing_over(monkeypatch):
    monkeypatch.setattr(fixture_users, "_read", lambda url: ([], None))
    assert fixture_users.pinned("postgresql://x/db") == {}
    assert fixture_users.from_environment({}) is None


@pytest.mark.parametrize("value", ["not json", '{"heaviest": []}', '{"heaviest": [{"login": 1}], "lightest": {}}'])
def test_a_value_that_is_not_the_gates_picks_is_named(value):
    with pytest.raises(ValueError, match=ENV):
        fixture_users.from_environment({ENV: value})

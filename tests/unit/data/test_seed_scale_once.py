"""A profile's scale (prod-scale) is seeded by `up` once: an `up` of a replica whose template already
holds that fixture set loads nothing again (each one spent minutes on `prod` before)."""
from __future__ import annotations

import psycopg

from replica.commands import db
from replica.stack.settings import Settings


def test_a_template_holding_the_profiles_fixtures_is_not_seeded_again(migrated_url, tmp_path,
                                                                     monkeypatch):
    settings = Settings(name="scaleonce", root=tmp_path)
    first = db.seed_scale_once(settings, migrated_url, "small")
    assert "seeded" in first and "small-scale fixtures" in first
    with psycopg.connect(migrated_url, autocommit=True) as conn:
        conn.execute("DELETE FROM summaries")  # the live data, changed since: left as it is
    loads = []
    monkeypatch.setattr(db, "seed", lambda *a, **k: loads.append(a) or "seeded")

    again = db.seed_scale_once(settings, migrated_url, "small")

    assert loads == [] and "already loaded" in again
    with psycopg.connect(migrated_url) as conn:
        assert conn.execute("SELECT count(*) FROM summaries").fetchone()[0] == 0


def test_another_scale_or_no_template_is_seeded(migrated_url, tmp_path, monkeypatch):
    settings = Settings(name="scaleonce", root=tmp_path)
    real_seed, loads = db.seed, []
    monkeypatch.setattr(db, "seed", lambda settings, url, scale: loads.append(scale)
                        or real_seed(settings, url, scale))
    db.seed_scale_once(settings, migrated_url, "small")  # no template yet
    db.seed_scale_once(settings, migrated_url, "3")  # a template of another fixture set
    assert loads == ["small", "3"]

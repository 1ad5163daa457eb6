"""Contributor pseudonyms in exports and dashboards are keyed: stable within a project, not
linkable across projects, and not a plain hash anyone can recompute."""

from __future__ import annotations

import hashlib

from datafab.services.site_keys import PSEUDONYM_KEY, Pseudonyms, site_key


def test_pseudonyms_are_stable_keyed_and_per_project(foundry):
    first, again = Pseudonyms(foundry), Pseudonyms(foundry)
    assert first(1, 7) == again(1, 7)  # the key is kept, so every process agrees
    assert first(1, 7) != first(2, 7)  # not linkable across projects
    assert first(1, 7) != first(1, 8)
    assert first(1, 7).startswith("c_") and len(first(1, 7)) == 14
    unkeyed = {"c_" + hashlib.sha256(f"{p}:{c}".encode()).hexdigest()[:12]
               for p in range(3) for c in range(20)}
    assert first(1, 7) not in unkeyed
    assert len(site_key(foundry, PSEUDONYM_KEY)) == 32


def test_another_site_key_gives_other_pseudonyms(foundry, tmp_path, sqlite_template):
    import shutil

    from datafab.foundry import Foundry
    from datafab.settings import Settings

    shutil.copy(sqlite_template, tmp_path / "other.db")
    other = Foundry(Settings(database_url=f"sqlite:///{tmp_path / 'other.db'}"))
    try:
        assert Pseudonyms(other)(1, 7) != Pseudonyms(foundry)(1, 7)
    finally:
        other.close()

"""Shared fixtures for the test suite."""

from __future__ import annotations

import pytest


@pytest.fixture
def sscard_cache(tmp_path_factory, monkeypatch):
    """Point the parse cache at a throw-away folder so no test writes into the repository."""
    path = tmp_path_factory.mktemp("sscard-cache")
    monkeypatch.setenv("SSCARD_CACHE_DIR", str(path))
    return path


@pytest.fixture
def data_dir(tmp_path):
    """An empty data folder (inputs are written here by each test)."""
    d = tmp_path / "data"
    d.mkdir()
    return d

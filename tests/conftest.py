"""Shared pytest fixtures: the project root and the shipped catalogue and rule sets, loaded once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from engine.loader import PROJECT_ROOT
from engine.repository import Repository

# no per-example time limit: on a shared 2-core machine an example's first run (imports, caches) can take more
# than hypothesis' default 200 ms, which would fail a property that holds (seen here once)
settings.register_profile("greencert", deadline=None)
settings.load_profile("greencert")


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def repo() -> Iterator[Repository]:
    """`Repository.load()` over the shipped catalogs/ and rules/; compiled rule sets are closed at the end."""
    repository = Repository.load()
    yield repository
    repository.close()

"""Shared pytest fixtures: the project root and the shipped catalogue and rule sets, loaded once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.loader import PROJECT_ROOT
from engine.repository import Repository


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def repo() -> Iterator[Repository]:
    """`Repository.load()` over the shipped catalogs/ and rules/; compiled rule sets are closed at the end."""
    repository = Repository.load()
    yield repository
    repository.close()

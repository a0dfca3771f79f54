"""Shared pytest fixtures: the project root and the shipped catalogue and rule sets, loaded once; and whether the
PostgreSQL tests run (tests/support/postgres_support.py), said in the header and at the end of every run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


# ------------------------------------------------------------------------------------- PostgreSQL, said plainly

def pytest_report_header(config: pytest.Config) -> str:
    from tests.support.postgres_support import postgres_choice

    return postgres_choice().message


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Whether the PostgreSQL tests ran, at the end where it is read (above the short summary), and how many did
    not."""
    from tests.support.postgres_support import postgres_choice

    choice = postgres_choice()
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if "postgres" in getattr(r, "keywords", {})]
    if choice.url is None and skipped:
        terminalreporter.write_sep("=", "PostgreSQL", yellow=True, bold=True)
        terminalreporter.write_line(f"{len(skipped)} test(s) not run. {choice.message}")

"""The README's test command runs the PostgreSQL tests when the documented server is there, and says plainly when
they do not run (tests/support/postgres_support.py, tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.loader import PROJECT_ROOT
from tests.support import postgres_support
from tests.support.postgres_support import POSTGRES_ENV, postgres_choice

NOBODY = "postgresql+psycopg://postgres@127.0.0.1:1/test"  # port 1: nothing listens there


@pytest.fixture
def fresh_choice(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    postgres_choice.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    postgres_choice.cache_clear()


def test_without_the_variable_and_without_a_server_the_message_names_both(fresh_choice: pytest.MonkeyPatch) -> None:
    fresh_choice.delenv(POSTGRES_ENV, raising=False)
    fresh_choice.setattr(postgres_support, "DEFAULT_POSTGRES_URL", NOBODY)
    choice = postgres_choice()
    assert choice.url is None
    assert "not run" in choice.message and POSTGRES_ENV in choice.message and NOBODY in choice.message


def test_an_empty_variable_means_no_postgresql(fresh_choice: pytest.MonkeyPatch) -> None:
    fresh_choice.setenv(POSTGRES_ENV, "")
    choice = postgres_choice()
    assert choice.url is None and f"{POSTGRES_ENV} is set empty" in choice.message


def test_a_given_url_is_used_as_given_with_its_password_hidden(fresh_choice: pytest.MonkeyPatch) -> None:
    fresh_choice.setenv(POSTGRES_ENV, "postgresql+psycopg://u:secret@db.example:5432/x")
    choice = postgres_choice()
    assert choice.url == "postgresql+psycopg://u:secret@db.example:5432/x"
    assert "secret" not in choice.message and POSTGRES_ENV in choice.message


def test_without_the_variable_the_documented_server_is_tried(fresh_choice: pytest.MonkeyPatch) -> None:
    fresh_choice.delenv(POSTGRES_ENV, raising=False)
    choice = postgres_choice()
    reachable = postgres_support._answers(postgres_support.DEFAULT_POSTGRES_URL) is None
    assert (choice.url == postgres_support.DEFAULT_POSTGRES_URL) is reachable
    assert postgres_support.DEFAULT_POSTGRES_URL in choice.message


def test_a_run_without_postgresql_says_so_in_its_header_and_its_summary() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    env[POSTGRES_ENV] = ""
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-k", "postgres",
                           str(Path("tests") / "api" / "test_api_catalogue.py")],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:]
    header, _, rest = out.partition("collected")
    assert f"PostgreSQL tests not run: {POSTGRES_ENV} is set empty" in header
    summary = rest.split("= PostgreSQL =")[1].splitlines()[1]
    count, _, message = summary.partition(" test(s) not run. ")
    assert int(count) > 0 and message.startswith("PostgreSQL tests not run") and POSTGRES_ENV in message

"""API fixtures: a database per backend (SQLite file, or a fresh PostgreSQL schema), the app, keys per role."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api import Settings, create_app
from api.db import ROLES
from api.deps import get_today
from api.keys import create_key
from tests.support.api_support import BACKENDS, TODAY, Org, database_url_for


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with database_url_for(backend, tmp_path_factory.mktemp(backend)) as url:
        yield url


@pytest.fixture(scope="module")
def settings(database_url: str) -> Settings:
    # the access matrix and the generated requests present thousands of bad keys from one test client: the
    # failed-authentication limit (tests/api/test_api_abuse.py) would answer them 429 instead of 401
    # impact jobs (tests/api/test_api_impact_jobs.py) evaluate in their own process, without workers of their own
    return Settings(database_url=database_url, max_body_bytes=200_000, max_batch_items=20,
                    auth_failure_limit=1_000_000, impact_workers=0, impact_jobs=8)


@pytest.fixture(scope="module")
def app(settings: Settings) -> Iterator[FastAPI]:
    application = create_app(settings)
    application.dependency_overrides[get_today] = lambda: TODAY
    yield application


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=True) as c:
        yield c


@pytest.fixture
def new_org(app: FastAPI, client: TestClient) -> Callable[..., Org]:
    """Organisations unique to the test, so tests sharing a module's database never see each other's records."""
    def make(prefix: str = "org") -> Org:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        tokens, ids = {}, {}
        for role in ROLES:
            key = create_key(app.state.services.db, name, role, f"{role} key")
            tokens[role], ids[role] = key.token, key.id
        return Org(name, tokens, ids)
    return make


@pytest.fixture
def org(new_org: Callable[..., Org]) -> Org:
    return new_org()


@pytest.fixture
def other_org(new_org: Callable[..., Org]) -> Org:
    return new_org("other")

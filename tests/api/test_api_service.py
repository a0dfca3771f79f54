"""Settings from the environment and `.env`; readiness; a database that is down answers 503, never 500."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api import Settings, create_app, get_settings, load_repository
from api.settings import default_database_url
from engine import native


def test_settings_from_environment_and_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("GREENCERT_"):
            monkeypatch.delenv(name)
    (tmp_path / ".env").write_text("GREENCERT_DATABASE_URL=sqlite:///from-dotenv.db\nGREENCERT_WORKERS=3\n", "utf-8")
    monkeypatch.setenv("GREENCERT_WORKERS", "4")  # the environment wins over .env
    monkeypatch.setenv("GREENCERT_RULES_DIRS", f"/a{os.pathsep}/b")
    monkeypatch.setenv("GREENCERT_OVERLAY_DIRS", "/o1,/o2")
    monkeypatch.setenv("GREENCERT_MAX_BODY_BYTES", "5000")
    s = Settings()
    assert s.database_url == "sqlite:///from-dotenv.db"
    assert s.workers == 4 and s.max_body_bytes == 5000
    assert s.rules_dirs == [Path("/a"), Path("/b")] and s.overlay_dirs == [Path("/o1"), Path("/o2")]
    get_settings.cache_clear()
    assert get_settings() is get_settings()
    get_settings.cache_clear()


def test_default_database_is_an_sqlite_file_in_the_data_directory(monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_database_url() == f"sqlite:///{tmp_path / 'greencert' / 'greencert.db'}"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_database_url().endswith("/.local/share/greencert/greencert.db")


def test_load_repository_reads_the_configured_rules(tmp_path: Path) -> None:
    empty = tmp_path / "rules"
    empty.mkdir()
    assert load_repository(Settings(database_url="sqlite://", rules_dirs=[empty])).rulesets == {}
    assert "coatings/GB-T-35602-2017" in load_repository(Settings(database_url="sqlite://")).rulesets


def test_ready_needs_a_current_schema(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'g.db'}", auto_migrate=False))
    with TestClient(app) as client:
        r = client.get("/v1/ready")
        assert r.status_code == 503
        assert r.json()["status"] == "not_ready" and r.json()["diagnostics"][0]["code"] == "schema_out_of_date"
        assert client.get("/v1/health").status_code == 200


def test_ready_says_which_evaluator_runs(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'g.db'}"))
    with TestClient(app) as client:
        r = client.get("/v1/ready")
        assert r.status_code == 200 and r.json()["status"] == "ready"
        assert r.json()["evaluator"] == native.EVALUATOR
        assert r.json()["evaluator"].startswith("compiled (" if native.compiled() else "source (")


def test_a_database_that_is_down_gives_503(tmp_path: Path) -> None:
    # nothing listens on port 1: every connection attempt is refused at once
    app = create_app(Settings(database_url="postgresql+psycopg://postgres@127.0.0.1:1/test", auto_migrate=False))
    with TestClient(app, raise_server_exceptions=True) as client:
        assert client.get("/v1/health").status_code == 200
        ready = client.get("/v1/ready")
        assert ready.status_code == 503 and ready.json()["database"] == "unavailable"
        r = client.get("/v1/categories", headers={"Authorization": "Bearer gck_0_x"})
        assert r.status_code == 503
        assert r.json()["diagnostics"][0]["code"] == "database_unavailable" and r.headers["Retry-After"] == "1"

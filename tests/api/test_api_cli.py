"""`greencert keys create|list|revoke`, `greencert migrate`, and `greencert serve` refusing invalid rules."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api import Settings, create_app
from greencert_cli import main
from tests.support.api_support import BACKENDS, database_url_for


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    with database_url_for(request.param, tmp_path) as u:
        yield u


def test_keys_create_list_revoke(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "create", "--org", "CQC", "--role", "certification_body", "--name", "desk",
                 "--database-url", url, "--format", "json"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["token"].startswith("gck_") and created["role"] == "certification_body"

    assert main(["keys", "create", "--org", "Acme", "--role", "manufacturer", "--database-url", url]) == 0
    out = capsys.readouterr()
    token = out.out.strip()
    assert token.startswith("gck_") and "shown only now" in out.err

    assert main(["keys", "list", "--database-url", url, "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(k["organisation"], k["role"], k["revoked_at"]) for k in listed] == [
        ("CQC", "certification_body", None), ("Acme", "manufacturer", None)]
    assert all("token" not in k for k in listed)
    assert main(["keys", "list", "--org", "Acme", "--database-url", url]) == 0
    assert "manufacturer" in capsys.readouterr().out

    with TestClient(create_app(Settings(database_url=url))) as client:
        h = {"Authorization": f"Bearer {created['token']}"}
        assert client.get("/v1/evaluations", headers=h).status_code == 200
        assert main(["keys", "revoke", created["id"], "--database-url", url]) == 0
        assert "revoked" in capsys.readouterr().out
        assert client.get("/v1/evaluations", headers=h).status_code == 401
    assert main(["keys", "revoke", "key_nope", "--database-url", url]) == 1
    assert "no API key `key_nope`" in capsys.readouterr().err


def test_an_operator_key_is_made_on_the_server(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The only way to a service-wide key: the CLI, on the server, with access to the database."""
    assert main(["keys", "create", "--org", "service", "--role", "operator", "--database-url", url,
                 "--format", "json"]) == 0
    operator = json.loads(capsys.readouterr().out)
    assert operator["role"] == "operator"
    assert main(["keys", "create", "--org", "Acme", "--role", "administrator", "--database-url", url,
                 "--format", "json"]) == 0
    admin = json.loads(capsys.readouterr().out)
    with TestClient(create_app(Settings(database_url=url))) as client:
        listed = client.get("/v1/keys", headers={"Authorization": f"Bearer {operator['token']}"})
        assert {k["id"] for k in listed.json()} == {operator["id"], admin["id"]}
        # Acme's administrator sees Acme's key only
        listed = client.get("/v1/keys", headers={"Authorization": f"Bearer {admin['token']}"})
        assert [k["id"] for k in listed.json()] == [admin["id"]]


def test_keys_create_refuses_bad_input(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["keys", "create", "--org", "X", "--role", "superuser", "--database-url", url])
    assert main(["keys", "create", "--org", "  ", "--role", "manufacturer", "--database-url", url]) == 2
    assert "organisation must not be empty" in capsys.readouterr().err


def test_migrate(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    from api.migrate import head_revision

    assert main(["migrate", "--database-url", url]) == 0
    assert f"revision {head_revision()}" in capsys.readouterr().out


def test_serve_refuses_invalid_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "rules"
    broken.mkdir()
    (broken / "bad.yaml").write_text("format: greencert/ruleset@1\nid: coatings/x\ncategory: coatings\n", "utf-8")
    for name in ("GREENCERT_RULES_DIRS", "GREENCERT_DATABASE_URL", "GREENCERT_PORT"):
        # `serve` hands its options to the workers through the environment: restore it afterwards
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    code = main(["serve", "--rules", str(broken), "--database-url", f"sqlite:///{tmp_path / 'g.db'}", "--port", "0"])
    assert code == 3
    assert "bad.yaml" in capsys.readouterr().err
    monkeypatch.undo()
    assert "GREENCERT_DATABASE_URL" not in os.environ


def test_serve_refuses_overlays_without_an_owner(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GREENCERT_OVERLAY_DIRS", "GREENCERT_OVERLAY_ORGANISATION", "GREENCERT_DATABASE_URL"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    overlays = Path(__file__).resolve().parents[2] / "examples" / "overlays" / "paper"
    code = main(["serve", "--overlay", str(overlays), "--database-url", f"sqlite:///{tmp_path / 'g.db'}",
                 "--port", "0"])
    assert code == 3
    assert "overlay_owner_missing" in capsys.readouterr().err
    monkeypatch.undo()
    assert "GREENCERT_OVERLAY_DIRS" not in os.environ

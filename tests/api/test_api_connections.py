"""HTTP connections against a real server (uvicorn with the service's protocol, raw sockets): a 500 leaves the
keep-alive connection usable; half a request head or half a body is answered 408 and the connection closed,
instead of being held forever. Both of uvicorn's HTTP/1.1 implementations are checked."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from api import Settings, create_app
from api.examples import APPLICATION
from api.keys import create_key
from tests.support.api_support import InThread

HEAD_TIMEOUT = 1.0
BODY_TIMEOUT = 1.0
# far beyond the timeouts above: a connection still open by then was held, not timed out
SOCKET_TIMEOUT = 20.0


class Served:
    def __init__(self, server: InThread, app: FastAPI, token: str):
        self.server, self.app, self.token = server, app, token

    def connect(self) -> socket.socket:
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=SOCKET_TIMEOUT)
        return s


@pytest.fixture(scope="module", params=["httptools", "h11"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    db = tmp_path_factory.mktemp("connections") / "g.db"
    settings = Settings(database_url=f"sqlite:///{db}", header_timeout_seconds=HEAD_TIMEOUT,
                        body_timeout_seconds=BODY_TIMEOUT)
    app = create_app(settings)

    @app.get("/test/fails", include_in_schema=False)
    def fails() -> None:  # a bug, as any route may have one
        raise RuntimeError("a bug")

    with InThread(app, settings.header_timeout_seconds, http=request.param) as server:
        key = create_key(app.state.services.db, "connections", "manufacturer")
        yield Served(server, app, key.token)


def _read_response(s: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response (with Content-Length) from `s`."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a whole response head: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed in the middle of a response body")
        body += chunk
    return status, headers, body


def _closed(s: socket.socket) -> bool:
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True


def _request(path: str, headers: dict[str, str] | None = None, method: str = "GET", body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: t", *(f"{k}: {v}" for k, v in (headers or {}).items())]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def test_a_500_leaves_the_keep_alive_connection_usable(served: Served) -> None:
    """The probe's finding: after any 500 the next request on the same connection was reset (Starlette raised
    the error again after answering, and uvicorn closed the connection)."""
    with served.connect() as s:
        for _ in range(2):
            s.sendall(_request("/test/fails"))
            status, headers, body = _read_response(s)
            assert status == 500 and headers.get("connection") != "close"
            assert json.loads(body)["diagnostics"][0]["code"] == "internal_error"
            s.sendall(_request("/v1/health"))
            status, _, body = _read_response(s)
            assert status == 200 and json.loads(body) == {"status": "ok"}


@pytest.mark.parametrize("sent", [b"", b"GET /v1/hea", b"GET /v1/health HTTP/1.1\r\nHost: t\r\n",
                                  b"POST /v1/self-checks HTTP/1.1\r\nContent-Len"],
                         ids=["nothing", "half-a-line", "headers-without-end", "half-a-header"])
def test_half_a_request_head_is_answered_408_and_closed(served: Served, sent: bytes) -> None:
    with served.connect() as s:
        started = time.monotonic()
        if sent:
            s.sendall(sent)
        status, headers, body = _read_response(s)
        waited = time.monotonic() - started
        assert status == 408 and headers["connection"] == "close"
        assert json.loads(body)["diagnostics"][0]["code"] == "request_timeout"
        assert _closed(s)
    assert waited < SOCKET_TIMEOUT / 2


def test_half_the_next_head_on_a_keep_alive_connection_is_timed_out(served: Served) -> None:
    with served.connect() as s:
        s.sendall(_request("/v1/health"))
        assert _read_response(s)[0] == 200
        s.sendall(b"GET /v1/health HTTP/1.1\r\nHo")
        status, headers, _ = _read_response(s)
        assert status == 408 and headers["connection"] == "close" and _closed(s)


def _half_body(path: str, token: str, content_type: str, whole: bytes) -> bytes:
    head = _request(path, {"Authorization": f"Bearer {token}", "Content-Type": content_type}, "POST")
    head = head.replace(b"Content-Length: 0", f"Content-Length: {len(whole)}".encode())
    return head + whole[: len(whole) // 2]


@pytest.mark.parametrize("path,content_type,whole", [
    ("/v1/self-checks?as_of=2026-11-01", "application/json", json.dumps(APPLICATION).encode()),
    ("/v1/self-checks/batch", "application/json", json.dumps({"items": [{"application": APPLICATION}]}).encode()),
    ("/v1/self-checks?as_of=2026-11-01", "application/yaml", b"format: greencert/application@1\ncategory: x\n"),
], ids=["json", "batch", "yaml"])
def test_half_a_body_is_answered_408_and_closed(served: Served, path: str, content_type: str, whole: bytes) -> None:
    with served.connect() as s:
        started = time.monotonic()
        s.sendall(_half_body(path, served.token, content_type, whole))
        status, headers, body = _read_response(s)
        waited = time.monotonic() - started
        assert status == 408 and headers["connection"] == "close", body
        (d,) = json.loads(body)["diagnostics"]
        assert d["code"] == "request_timeout" and "body" in d["message"]
        assert _closed(s)
    assert waited < SOCKET_TIMEOUT / 2
    # and a whole body on a new connection is served as before
    with served.connect() as s:
        s.sendall(_half_body(path, served.token, content_type, whole)[: -(len(whole) // 2) or None] + whole)
        assert _read_response(s)[0] in (200, 422)


def test_a_rule_file_upload_cut_short_is_timed_out(served: Served) -> None:
    key = create_key(served.app.state.services.db, "connections", "rule_author")
    boundary = "greencert-boundary"
    whole = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.yaml\"\r\n"
             f"Content-Type: application/yaml\r\n\r\nformat: greencert/ruleset@1\n\r\n--{boundary}--\r\n").encode()
    with served.connect() as s:
        s.sendall(_half_body("/v1/rulesets/validate", key.token, f"multipart/form-data; boundary={boundary}", whole))
        status, headers, _ = _read_response(s)
        assert status == 408 and headers["connection"] == "close" and _closed(s)

"""scripts/certificate_cluster.py: two `greencert serve` servers on one PostgreSQL take 500 concurrent issue and
event requests (half to each), one of them SIGKILLed mid-load and restarted; unique numbers, no acknowledged
event lost or applied twice, every final state equal to a serial replay of its log."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.loader import PROJECT_ROOT
from tests.support.api_support import database_url_for

SCRIPT = PROJECT_ROOT / "scripts" / "certificate_cluster.py"


# PostgreSQL: the 500 requests of the issue; SQLite (two servers on one file): fewer, for time
RUNS = [pytest.param("postgres", 500, 200, marks=pytest.mark.postgres), pytest.param("sqlite", 150, 60)]


@pytest.mark.parametrize("backend,requests,kill_after", RUNS)
def test_two_servers_one_database_concurrent_requests_and_a_sigkill(backend: str, requests: int, kill_after: int,
                                                                    tmp_path: Path) -> None:
    with database_url_for(backend, tmp_path) as url:
        done = subprocess.run([sys.executable, str(SCRIPT), "--database-url", url, "--requests", str(requests),
                               "--concurrency", "32", "--kill-after", str(kill_after)],
                              capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads(done.stdout)
    assert summary["problems"] == [] and summary["killed"] is True
    assert sum(summary["statuses"].values()) == requests
    assert summary["unanswered_then_retried"]  # the kill really cut requests off
    # 20 before the load and a fifth of the requests in it: each its own number
    assert summary["certificates_issued"] == 20 + requests // 5
    assert summary["events_in_logs"] > 0 and summary["statuses"].get("201", 0) > 0

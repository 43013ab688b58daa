"""Under gunicorn every worker is its own process; with PROMETHEUS_MULTIPROC_DIR, /metrics
adds up what every process counted (shared/web/observability.py metrics_registry)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

COUNT = """
from shared.web import REQUESTS
REQUESTS.labels("catalog", "GET", "200").inc({n})
"""
SCRAPE = """
from prometheus_client import generate_latest
from shared.web import metrics_registry
for line in generate_latest(metrics_registry()).decode().splitlines():
    if line.startswith('http_requests_total{method="GET",service="catalog",status="200"}'):
        print(line.split()[-1])
"""


def run(code: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_metrics_add_up_the_counts_of_every_worker_process(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for n in (3, 4):  # two "workers" count requests and exit
        run(COUNT.format(n=n), env)
    assert run(SCRAPE, env) == "7.0"  # a third process (the one scraped) sees both


def test_without_the_folder_a_process_reports_only_its_own_counts(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    run(COUNT.format(n=3), env)
    assert run(SCRAPE, env) == ""  # nothing counted in the scraped process itself

"""`forecourt serve --workers N`: several processes behind one socket report one truth in /metrics, finish a request
in flight when told to stop, and give up on it after the graceful timeout. Real `forecourt serve` processes."""

from __future__ import annotations

import glob
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from forecourt.core.db import make_engine
from forecourt.core.metrics import MULTIPROC_ENV
from forecourt.core.migrate import upgrade

pytestmark = pytest.mark.slow
SRC = Path(__file__).resolve().parents[2] / "src"
ROUTE = "/api/v1/stores/{code}"


@dataclass
class Server:
    process: subprocess.Popen
    base_url: str
    port: int
    metrics_dir: Path
    log: Path

    def log_entries(self) -> list[dict]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.startswith("{")]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out after {seconds} s waiting for {what}")


@contextmanager
def serve(tmp_path: Path, *options: str) -> Iterator[Server]:
    """`python -m forecourt.cli serve ...` over a migrated SQLite file, in its own directory."""
    url = f"sqlite:///{tmp_path / 'forecourt.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != MULTIPROC_ENV},
        "PYTHONPATH": str(SRC),
        "FORECOURT_DATABASE_URL": url,
        "FORECOURT_ENVIRONMENT": "test",
        "FORECOURT_METRICS_DIR": str(tmp_path / "metrics"),
    }
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "counter_1.db").write_bytes(b"stale")  # a previous run's file: wiped at start
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "forecourt.cli", "serve", "--port", str(port), *options],
            env=env,
            cwd=tmp_path,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, f"http://127.0.0.1:{port}", port, tmp_path / "metrics", log)
    try:
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def _workers_ready(server: Server, workers: int) -> bool:
    """Every worker has started up (each logs "Application startup complete.") and the socket answers (a single
    process binds it only after its start-up)."""
    assert server.process.poll() is None, server.log.read_text()
    started = [e for e in server.log_entries() if e["message"] == "Application startup complete."]
    if len(started) < workers:
        return False
    try:
        return httpx.get(f"{server.base_url}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _counts_by_worker(directory: Path) -> dict[int, float]:
    """Requests to ROUTE recorded in each worker's own file."""
    counts = {}
    for path in glob.glob(str(directory / "counter_*.db")):
        pid = int(Path(path).stem.split("_")[1])
        samples = [s for m in MultiProcessCollector.merge([path]) for s in m.samples]
        counts[pid] = sum(
            s.value for s in samples if s.name == "forecourt_http_requests_total" and s.labels["route"] == ROUTE
        )
    return counts


def _scraped_total(server: Server) -> float:
    with httpx.Client(base_url=server.base_url) as client:  # a new connection: any worker may answer
        text = client.get("/metrics").text
    (family,) = [f for f in text_string_to_metric_families(text) if f.name == "forecourt_http_requests"]
    return sum(s.value for s in family.samples if s.name.endswith("_total") and s.labels["route"] == ROUTE)


def test_two_workers_count_every_request_once_and_stop_gracefully(tmp_path: Path) -> None:
    with serve(tmp_path, "--workers", "2", "--graceful-timeout", "10") as server:
        _wait_for(lambda: _workers_ready(server, 2), 60, "two workers")
        assert not (server.metrics_dir / "counter_1.db").exists()
        sent = 0
        # Fresh connections until both workers have served some (the kernel picks who accepts each).
        while sum(1 for count in _counts_by_worker(server.metrics_dir).values() if count) < 2:
            assert sent < 400, "one worker took every connection"
            for _ in range(20):
                with httpx.Client(base_url=server.base_url) as client:
                    assert client.get(f"/api/v1/stores/no-{uuid.uuid4().hex[:6]}").status_code == 404
                sent += 1
        by_worker = _counts_by_worker(server.metrics_dir)
        assert sum(by_worker.values()) == sent and len(by_worker) == 2
        for _ in range(4):  # whichever worker answers the scrape, it answers for both
            assert _scraped_total(server) == sent
        live_gauges = set(glob.glob(str(server.metrics_dir / "gauge_livesum_*.db")))
        assert {int(Path(p).stem.rsplit("_", 1)[1]) for p in live_gauges} == set(by_worker)

        # A request in flight (its body half sent, the app waiting for the rest) when SIGTERM arrives.
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as held:
            body = b'{"identifier": "nobody@example.test", "password": "wrong-password"}'
            held.sendall(
                b"POST /api/v1/auth/sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Expect: 100-continue\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
            )
            assert held.recv(100).startswith(b"HTTP/1.1 100")  # the app is reading the body now
            held.sendall(body[:10])
            server.process.send_signal(signal.SIGTERM)
            _wait_for(
                lambda: any("Waiting for connections to close" in e["message"] for e in server.log_entries()),
                20,
                "the worker to wait for the request in flight",
            )
            held.sendall(body[10:])
            answer = held.recv(4096)
        assert answer.startswith(b"HTTP/1.1 401"), answer  # the request was finished, not cut off
        assert server.process.wait(timeout=30) == 0
        assert glob.glob(str(server.metrics_dir / "gauge_livesum_*.db")) == []  # the workers marked themselves dead
        assert sum(_counts_by_worker(server.metrics_dir).values()) == sent  # counters outlive their workers


def test_a_request_still_in_flight_after_the_graceful_timeout_is_cancelled(tmp_path: Path) -> None:
    with serve(tmp_path, "--graceful-timeout", "1") as server:
        _wait_for(lambda: _workers_ready(server, 1), 60, "the server")
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as held:
            held.sendall(
                b"POST /api/v1/auth/sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Expect: 100-continue\r\nContent-Length: 50\r\n\r\n"
            )
            assert held.recv(100).startswith(b"HTTP/1.1 100")
            stopping = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            # The body never comes; the server stops anyway. A single uvicorn process re-raises the signal it
            # handled once it has shut down, so its status is "ended by SIGTERM" (the supervisor of N exits 0).
            assert server.process.wait(timeout=15) in (0, -signal.SIGTERM)
        assert time.monotonic() - stopping < 10
        entries = server.log_entries()
        assert any("graceful shutdown exceeded" in e["message"] for e in entries)
        assert any(e["message"] == "Application shutdown complete." for e in entries)


def test_reload_and_several_workers_are_exclusive() -> None:
    from forecourt.cli import app

    refused = CliRunner().invoke(app, ["serve", "--reload", "--workers", "2"])
    assert refused.exit_code == 2 and "--reload runs one process" in refused.output


def test_one_worker_keeps_the_ordinary_registry(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import uvicorn

    from forecourt.cli import app
    from forecourt.core.settings import get_settings

    calls: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    monkeypatch.setenv("FORECOURT_METRICS_DIR", str(tmp_path / "metrics"))
    get_settings.cache_clear()
    try:
        assert CliRunner().invoke(app, ["serve"]).exit_code == 0
    finally:
        get_settings.cache_clear()
    assert calls[0]["workers"] == 1 and calls[0]["access_log"] is False and calls[0]["timeout_graceful_shutdown"] == 25
    assert MULTIPROC_ENV not in os.environ and not (tmp_path / "metrics").exists()

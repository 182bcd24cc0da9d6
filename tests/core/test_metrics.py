"""Prometheus metrics in one process: route-template labels, who may read /metrics, the outbox backlog read at
scrape time, the pool gauges, job runs. (Several worker processes: tests/core/test_serve_workers.py.)"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from forecourt.app import create_app
from forecourt.core import clock, metrics
from forecourt.core.db import make_engine
from forecourt.core.db_metrics import OutboxBacklogCollector, watch_pool
from forecourt.core.outbox import MAX_ATTEMPTS, Channel, enqueue
from forecourt.core.settings import Settings
from tests.conftest import _joined_session
from tests.testdrive.helpers import NOW

REQUESTS = "forecourt_http_requests_total"
METRICS_TOKEN = "a-long-random-metrics-token-0123456789"


def _count(route: str, method: str, status: int) -> float:
    labels = {"route": route, "method": method, "status": str(status)}
    return REGISTRY.get_sample_value(REQUESTS, labels) or 0.0


def _label_sets() -> set[tuple[str, str, str]]:
    return {
        (s.labels["route"], s.labels["method"], s.labels["status"])
        for family in REGISTRY.collect()
        if family.name == "forecourt_http_requests"
        for s in family.samples
        if s.name == REQUESTS
    }


def test_requests_are_counted_by_route_template_never_by_path(client: TestClient) -> None:
    before = _count("/api/v1/stores/{code}", "GET", 404)
    codes = [f"no-{uuid.uuid4().hex[:8]}" for _ in range(5)]
    for code in codes:
        assert client.get(f"/api/v1/stores/{code}").status_code == 404
    assert _count("/api/v1/stores/{code}", "GET", 404) == before + 5
    # No path reached a label (a template such as .../{reference}/no-show may well contain "no-").
    assert not any(code in route for code in codes for route, _, _ in _label_sets())


def test_unknown_paths_and_methods_do_not_grow_the_labels(client: TestClient) -> None:
    client.get(f"/nowhere/{uuid.uuid4().hex}")  # the unmatched label exists from here on
    client.request("BREW", "/api/v1/stores")
    labels, unmatched = _label_sets(), _count("unmatched", "GET", 404)
    for _ in range(30):
        assert client.get(f"/{uuid.uuid4().hex}/{uuid.uuid4().hex}").status_code == 404
        client.request("BREW", "/api/v1/stores")
    assert _label_sets() == labels  # 60 requests, not one new series
    assert _count("unmatched", "GET", 404) == unmatched + 30
    assert any(method == "other" for _, method, _ in labels) and all(m != "BREW" for _, m, _ in labels)


def test_a_wrong_method_on_a_known_path_keeps_the_route_and_static_files_are_one_route(client: TestClient) -> None:
    wrong, static = _count("/api/v1/stores", "DELETE", 405), _count("/static/{path}", "GET", 200)
    assert client.delete("/api/v1/stores").status_code == 405
    assert client.get("/static/VENDORED.txt").status_code == 200
    assert _count("/api/v1/stores", "DELETE", 405) == wrong + 1
    assert _count("/static/{path}", "GET", 200) == static + 1


def test_latency_is_observed_per_route(client: TestClient) -> None:
    labels = {"route": "/healthz", "method": "GET"}
    before = REGISTRY.get_sample_value("forecourt_http_request_duration_seconds_count", labels) or 0.0
    client.get("/healthz")
    assert REGISTRY.get_sample_value("forecourt_http_request_duration_seconds_count", labels) == before + 1


@pytest.fixture
def app_for(db_connection: Connection, test_settings: Settings) -> Iterator:
    """Make a TestClient of the app with some settings changed, seen from a chosen client address."""
    apps = []

    def make(peer: str = "testclient", **changes: object) -> TestClient:
        app = create_app(test_settings.model_copy(update=changes))
        app.state.session_factory = lambda: _joined_session(db_connection)
        apps.append(app)
        return TestClient(app, client=(peer, 50000))

    yield make
    for app in apps:
        app.state.engine.dispose()


@pytest.mark.parametrize("peer", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_without_a_token_a_loopback_client_reads_the_metrics(app_for, peer: str) -> None:
    answer = app_for(peer).get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    names = {family.name for family in text_string_to_metric_families(answer.text)}
    assert {"forecourt_http_requests", "forecourt_outbox_backlog_messages", "forecourt_job_runs"} <= names


@pytest.mark.parametrize(
    ("peer", "headers"),
    [
        ("10.0.0.7", {}),
        ("testclient", {}),
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}),  # a proxy on this host, relaying someone
        ("127.0.0.1", {"Forwarded": "for=203.0.113.9"}),
    ],
)
def test_without_a_token_anyone_else_gets_the_404_of_an_unknown_path(app_for, peer: str, headers: dict) -> None:
    web = app_for(peer)
    answer = web.get("/metrics", headers=headers)
    unknown = web.get("/no-such-page", headers=headers)
    assert answer.status_code == unknown.status_code == 404
    assert answer.json() == unknown.json() and "forecourt_" not in answer.text


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (None, 401),
        (f"Bearer {METRICS_TOKEN}x", 401),
        (f"Bearer {METRICS_TOKEN[:-1]}", 401),
        (f"Basic {METRICS_TOKEN}", 401),
        (f"Bearer {METRICS_TOKEN}", 200),
        (f"bearer  {METRICS_TOKEN}", 200),
    ],
)
def test_with_a_token_only_its_bearer_reads_the_metrics(app_for, authorization: str | None, status: int) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    for peer in ("203.0.113.9", "127.0.0.1"):  # with a token, loopback is no longer enough, nor needed
        answer = app_for(peer, metrics_token=SecretStr(METRICS_TOKEN)).get("/metrics", headers=headers)
        assert answer.status_code == status, (peer, authorization)
        if status == 401:
            assert answer.headers["WWW-Authenticate"].startswith("Bearer") and answer.json()["code"] == "invalid_token"
            assert METRICS_TOKEN not in answer.text
        else:
            assert "forecourt_http_requests_total" in answer.text


def _backlog(session: Session) -> dict[str, dict[str, float]]:
    families = {family.name: family for family in OutboxBacklogCollector(lambda: session).collect()}
    return {
        name: {sample.labels["channel"]: sample.value for sample in family.samples} for name, family in families.items()
    }


def test_the_outbox_backlog_is_read_per_channel_at_scrape_time(db_session: Session) -> None:
    with clock.pinned(NOW - timedelta(minutes=30)):
        oldest = enqueue(db_session, Channel.EMAIL, "a@example.test", "s", "b")
    with clock.pinned(NOW - timedelta(minutes=5)):
        enqueue(db_session, Channel.EMAIL, "b@example.test", "s", "b")
        last_try = enqueue(db_session, Channel.SMS, "13800138000", "", "b")
        given_up = enqueue(db_session, Channel.SMS, "13800138001", "", "b")
        sent = enqueue(db_session, Channel.EVENT, "marketing", "t", "{}")
    last_try.attempts, given_up.attempts = MAX_ATTEMPTS - 1, MAX_ATTEMPTS  # both sides of giving up
    sent.sent_at = NOW - timedelta(minutes=1)
    db_session.commit()
    assert oldest.created_at == NOW - timedelta(minutes=30)
    with clock.pinned(NOW):
        backlog = _backlog(db_session)
    assert backlog["forecourt_outbox_backlog_messages"] == {"email": 2, "sms": 1, "event": 0}
    assert backlog["forecourt_outbox_given_up_messages"] == {"email": 0, "sms": 1, "event": 0}
    assert backlog["forecourt_outbox_oldest_unsent_age_seconds"] == {"email": 1800, "sms": 300, "event": 0}


def test_an_unreadable_outbox_leaves_its_metrics_out_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> Session:
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    with caplog.at_level(logging.WARNING, "forecourt.metrics"):
        assert list(OutboxBacklogCollector(broken).collect()) == []
    assert "outbox backlog not read" in caplog.text


def test_the_pool_gauges_follow_checkouts(tmp_path: Path) -> None:
    engine: Engine = make_engine(f"sqlite:///{tmp_path / 'pool.db'}")
    watch_pool(engine)
    assert REGISTRY.get_sample_value("forecourt_db_pool_connections_limit") == 15  # 5 + 10 overflow
    in_use = REGISTRY.get_sample_value("forecourt_db_pool_connections_in_use")
    with engine.connect(), engine.connect():
        assert REGISTRY.get_sample_value("forecourt_db_pool_connections_in_use") == in_use + 2
    assert REGISTRY.get_sample_value("forecourt_db_pool_connections_in_use") == in_use
    engine.dispose()


@pytest.mark.parametrize("outcome", ["ran", "skipped", "failed"])
def test_job_runs_are_counted_by_outcome_with_their_duration(outcome: str) -> None:
    runs = {"job": "test-job", "outcome": outcome}
    before = REGISTRY.get_sample_value("forecourt_job_runs_total", runs) or 0.0
    timed = REGISTRY.get_sample_value("forecourt_job_duration_seconds_count", {"job": "test-job"}) or 0.0
    metrics.record_job_run("test-job", outcome, 0.2)
    assert REGISTRY.get_sample_value("forecourt_job_runs_total", runs) == before + 1
    assert REGISTRY.get_sample_value("forecourt_job_duration_seconds_count", {"job": "test-job"}) == timed + 1


def test_an_unknown_job_outcome_is_refused() -> None:
    with pytest.raises(ValueError, match="job outcome"):
        metrics.record_job_run("test-job", "done", 0.1)


def test_preparing_the_metrics_directory_removes_only_metric_files(tmp_path: Path) -> None:
    directory = tmp_path / "metrics"
    directory.mkdir()
    for name in ("counter_123.db", "gauge_livesum_123.db", "histogram_9.db", "notes.txt", "counter_x.db"):
        (directory / name).write_text("x")
    assert metrics.prepare_multiprocess_dir(directory) == directory.resolve()
    assert sorted(p.name for p in directory.iterdir()) == ["counter_x.db", "notes.txt"]
    assert metrics.prepare_multiprocess_dir(tmp_path / "new" / "dir").is_dir()


def test_a_process_without_the_web_app_serves_its_metrics_on_loopback(db_session: Session) -> None:
    metrics.record_job_run("minute", "ran", 0.5)
    server = metrics.start_metrics_server(0, live=[OutboxBacklogCollector(lambda: db_session)])
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    finally:
        server.shutdown()
        server.server_close()
    families = {family.name: family for family in text_string_to_metric_families(text)}
    runs = [s for s in families["forecourt_job_runs"].samples if s.labels.get("job") == "minute"]
    assert any(s.labels["outcome"] == "ran" and s.value >= 1 for s in runs)
    assert "forecourt_outbox_backlog_messages" in families

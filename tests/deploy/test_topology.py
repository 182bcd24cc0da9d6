"""compose.yaml and `make prod-smoke` describe one topology: the same parts, running the same commands, with jobs
kept out of the same processes and the broker given to the same ones; and the image is built the way the
production docs say (two stages, no compilers in the final one, an unprivileged user, `forecourt` as entry point)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy"))
from prod_smoke import TOPOLOGY  # noqa: E402

COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))["services"]


def is_forecourt(service: dict) -> bool:
    return service.get("image", "").startswith("forecourt")


def forecourt_command(service: dict, words: int) -> tuple[str, ...]:
    return tuple(service["command"][:words])


def test_the_same_parts_in_both():
    assert [part.name for part in TOPOLOGY] == list(COMPOSE)


@pytest.mark.parametrize("part", TOPOLOGY, ids=lambda part: part.name)
def test_each_part_runs_the_same_command_with_the_same_duties(part):
    service = COMPOSE[part.name]
    assert is_forecourt(service) == (part.forecourt is not None)
    if part.forecourt is None:
        return
    assert forecourt_command(service, len(part.forecourt)) == part.forecourt
    environment = service.get("environment", {})
    assert (environment.get("FORECOURT_RUN_JOBS") == "false") == (not part.run_jobs)
    assert ("FORECOURT_MQTT_URL" in environment) == part.mqtt
    assert (service.get("restart") == "no") == part.step  # a step runs once; a service is restarted


def test_steps_run_before_the_services_that_need_them():
    for name, service in COMPOSE.items():
        if name in ("web-1", "web-2", "worker", "broker-config"):
            assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
    assert COMPOSE["mosquitto"]["depends_on"]["broker-config"]["condition"] == "service_completed_successfully"


def test_every_production_secret_is_required_from_the_environment():
    text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    example = (ROOT / "deploy" / "example.env").read_text(encoding="utf-8")
    required = set(re.findall(r"\$\{(\w+):\?", text))
    assert required == {
        "POSTGRES_PASSWORD",
        "FORECOURT_SECRET_KEY",
        "FORECOURT_FIELD_ENCRYPTION_KEYS",
        "FORECOURT_METRICS_TOKEN",
        "MQTT_INGEST_PASSWORD",
    }
    assert required == set(re.findall(r"^(\w+)=", example, re.MULTILINE))  # the example names each one


def dockerfile_stages() -> list[list[str]]:
    stages: list[list[str]] = []
    for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if line.startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def test_the_image_has_two_stages_and_the_final_one_is_lean_and_unprivileged():
    build, final = dockerfile_stages()
    final_text = "\n".join(final)
    assert "build-essential" in "\n".join(build) and "build-essential" not in final_text
    assert "apt-get install" not in final_text
    assert "COPY --from=build /opt/venv /opt/venv" in final_text
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users == ["forecourt"]
    assert 'ENTRYPOINT ["forecourt"]' in final_text
    assert "FORECOURT_ENVIRONMENT=production" in final_text

"""Runtime configuration, read from FORECOURT_* environment variables (and an optional .env file)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from string import Formatter
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, PositiveInt, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from forecourt.core.db import SQLITE_BUSY_TIMEOUT_SECONDS

DEFAULT_SECRET_KEY = "dev-insecure-change-me"
DEFAULT_DATABASE_URL = f"sqlite:///{Path('var') / 'forecourt.db'}"


def parse_trusted_proxies(value: str | list[str] | None) -> list[str]:
    """Addresses or networks ("10.0.0.5, 10.1.0.0/16"); a typo must fail at start, not silently trust nobody
    (uvicorn would keep an unparsable entry as a literal host name that never matches). "*" is refused: it
    would let every client choose its own address."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    proxies = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        try:
            proxies.append(
                str(ipaddress.ip_network(item, strict=False)) if "/" in item else str(ipaddress.ip_address(item))
            )
        except ValueError as exc:
            raise ValueError(f"trusted proxy {item!r} is neither an IP address nor a network (CIDR)") from exc
    return proxies


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FORECOURT_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET_KEY)
    default_language: Literal["en", "zh-Hans"] = "zh-Hans"
    currency: Literal["CNY", "USD"] = "CNY"
    time_zone: str = "Asia/Shanghai"
    host: str = "127.0.0.1"
    port: int = 8000
    max_import_bytes: PositiveInt = 64 * 1024 * 1024
    # Request size limits (core/limits.py): over them a request is refused (431 / 413) before it is parsed.
    max_header_bytes: PositiveInt = 16 * 1024  # all header names and values together
    max_json_bytes: PositiveInt = 1024 * 1024  # JSON and other API bodies
    max_event_batch_bytes: PositiveInt = 4 * 1024 * 1024  # POST /api/v1/events, up to 1,000 events
    max_form_bytes: PositiveInt = 64 * 1024  # the pages' forms (file uploads count against max_import_bytes)
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed ("10.0.0.5,10.1.0.0/16"). Empty:
    # none is, and the TCP peer is the client (see core/client_address.py).
    trusted_proxies: Annotated[list[str], NoDecode] = []
    # SQLite only: seconds a write waits for the database's single write lock before answering 503 (Retry-After).
    sqlite_busy_timeout: float = Field(default=SQLITE_BUSY_TIMEOUT_SECONDS, gt=0, le=300)
    # Where the development FileMessageAdapter appends outgoing email and SMS (email.log, sms.log).
    outbox_dir: Path = Path("var/outbox")
    # Full problem reports of file imports (<id>.csv and its owner <id>.json), kept import_report_days days.
    # Several web hosts must share this directory (any of them may serve the download).
    import_report_dir: Path = Path("var/import-reports")
    import_report_days: int = 7
    # Adapters behind the identity, credit-score and payment interfaces. Only the demo ones ship: they
    # contact no one (see forecourt/integrations.py); a deployment registers its real providers there.
    identity_provider: Literal["demo"] = "demo"
    credit_provider: Literal["demo"] = "demo"
    payment_provider: Literal["demo"] = "demo"
    # Data keys for field encryption (ID numbers, incomes): "k2:<base64 32 bytes>,k1:<base64 32 bytes>"; the
    # first encrypts, all decrypt (rotation). Unset outside production: a key derived from the secret key.
    field_encryption_keys: SecretStr = SecretStr("")
    # The MQTT broker the cars publish to (telematics): mqtt://user:password@host:1883, or mqtts:// for TLS.
    # Empty: telematics ingest is off (the demo loads its recorded trips through the same code without a broker).
    mqtt_url: SecretStr = SecretStr("")
    # Each ingest process needs its own stable client id: the broker keeps that id's session (and its queue)
    # while the process restarts. Empty: forecourt-ingest-<host name>.
    mqtt_client_id: str = ""
    mqtt_qos: Literal[1, 2] = 1
    mqtt_tls_ca_file: str | None = None
    mqtt_tls_cert_file: str | None = None
    mqtt_tls_key_file: str | None = None
    telematics_batch_size: int = Field(default=500, ge=1, le=10_000)
    # Map tiles under the route maps, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png. Empty: the maps are drawn
    # without tiles (they need no internet). The tile server's origin is added to the maps' pages' img-src.
    map_tile_url: str = ""
    # Scheduled jobs (forecourt/jobs/): whether web processes run them too (as the single-process `make run` needs);
    # false when `forecourt worker` processes run them. Unset in FORECOURT_ENVIRONMENT=test: off, so in-process test
    # apps start no scheduler thread; a test that wants them on sets it.
    run_jobs: bool = True
    # How often a process runs a pass of the jobs; also the length of a job's slot (each job runs once per slot).
    job_interval_seconds: float = Field(default=60, gt=0, le=86_400)
    # Tests only: a file holding an ISO timestamp that core.clock.utcnow answers while set, so subprocesses can
    # live a simulated day. Refused unless FORECOURT_ENVIRONMENT=test.
    clock_file: Path | None = None
    # Logs: one JSON object per line (for a log shipper), or uvicorn-style text (for a terminal).
    log_format: Literal["json", "text"] = "json"
    # `serve --workers N` (N > 1): where the workers' Prometheus metric files live (emptied at each start), so any
    # worker's /metrics answers for all of them. Must be a directory of its own, on local disk.
    metrics_dir: Path = Path("var/metrics")
    # When set, /metrics needs `Authorization: Bearer <token>`; empty: only loopback clients may read it.
    metrics_token: SecretStr = SecretStr("")

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @field_validator("mqtt_url")
    @classmethod
    def _usable_mqtt_url(cls, value: SecretStr) -> SecretStr:
        url = value.get_secret_value()
        if url:
            parts = urlsplit(url)
            if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
                raise ValueError("FORECOURT_MQTT_URL must look like mqtt://user:password@host:1883 (or mqtts://)")
        return value

    @field_validator("map_tile_url")
    @classmethod
    def _usable_tile_url(cls, value: str) -> str:
        value = value.strip()
        if value:
            parts = urlsplit(value)
            placeholders = {name for _, name, _, _ in Formatter().parse(value) if name is not None}
            # The route map fills exactly {z}, {x} and {y}; anything else ({s}, {r}) would fail on every page.
            if parts.scheme not in ("http", "https") or not parts.hostname or placeholders != {"z", "x", "y"}:
                raise ValueError(
                    "FORECOURT_MAP_TILE_URL must be an http(s) URL with {z}, {x} and {y} and no other placeholder"
                )
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_addresses(cls, value: str | list[str] | None) -> list[str]:
        return parse_trusted_proxies(value)

    @model_validator(mode="after")
    def _test_only_clock_and_jobs(self) -> Settings:
        if self.clock_file is not None and self.environment != "test":
            raise ValueError("FORECOURT_CLOCK_FILE is for tests only: it needs FORECOURT_ENVIRONMENT=test")
        if self.environment == "test" and "run_jobs" not in self.model_fields_set:
            self.run_jobs = False
        return self

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key.get_secret_value() == DEFAULT_SECRET_KEY:
            raise ValueError(
                "FORECOURT_SECRET_KEY must be set to a private random value when FORECOURT_ENVIRONMENT=production"
            )
        if self.environment == "production" and len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("FORECOURT_SECRET_KEY must be at least 32 characters in production")
        if self.environment == "production" and not self.field_encryption_keys.get_secret_value():
            raise ValueError(
                "FORECOURT_FIELD_ENCRYPTION_KEYS must be set in production (generate one with "
                "`forecourt keys generate`)"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()

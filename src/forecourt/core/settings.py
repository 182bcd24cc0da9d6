"""Runtime configuration, read from FORECOURT_* environment variables (and an optional .env file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import PositiveInt, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "dev-insecure-change-me"
DEFAULT_DATABASE_URL = f"sqlite:///{Path('var') / 'forecourt.db'}"


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
    # Where the development FileMessageAdapter appends outgoing email and SMS (email.log, sms.log).
    outbox_dir: Path = Path("var/outbox")
    # Adapters behind the identity, credit-score and payment interfaces. Only the demo ones ship: they
    # contact no one (see forecourt/integrations.py); a deployment registers its real providers there.
    identity_provider: Literal["demo"] = "demo"
    credit_provider: Literal["demo"] = "demo"
    payment_provider: Literal["demo"] = "demo"
    # Data keys for field encryption (ID numbers, incomes): "k2:<base64 32 bytes>,k1:<base64 32 bytes>"; the
    # first encrypts, all decrypt (rotation). Unset outside production: a key derived from the secret key.
    field_encryption_keys: SecretStr = SecretStr("")

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

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

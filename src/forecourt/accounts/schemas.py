"""API shapes of the accounts context."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from forecourt.accounts.identifiers import EMAIL_PATTERN, MOBILE_PATTERN
from forecourt.accounts.passwords import MAX_LENGTH, MIN_LENGTH

Password = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH, description="10 to 128 characters")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class SignUpIn(_In):
    # The service checks these patterns itself (stable codes invalid_email, invalid_mobile); the schema says them.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["email"], "properties": {"email": {"type": "string"}}},
                {"required": ["mobile"], "properties": {"mobile": {"type": "string"}}},
            ]
        }
    )
    email: str | None = Field(
        default=None,
        max_length=254,
        examples=["li.lei@example.cn"],
        json_schema_extra={"pattern": EMAIL_PATTERN.pattern},
    )
    mobile: str | None = Field(
        default=None,
        max_length=20,
        examples=["13800138000"],
        json_schema_extra={"pattern": MOBILE_PATTERN.pattern, "description": "A mainland China mobile number"},
    )
    password: str = Password
    display_name: str = Field(default="", max_length=80)

    @model_validator(mode="after")
    def _one_identifier(self) -> SignUpIn:
        if not (self.email or self.mobile):
            raise ValueError("give an email address or a mobile number")
        return self


class SignUpConfirmIn(_In):
    token: str = Field(min_length=1, max_length=200, description="The code from the confirmation email or SMS")


class SignInIn(_In):
    identifier: str = Field(min_length=1, max_length=254, description="Email address or mainland mobile number")
    password: str = Field(min_length=1, max_length=MAX_LENGTH)


class RoleOut(BaseModel):
    role: str
    store_id: int | None


class UserOut(BaseModel):
    id: int
    email: str | None
    mobile: str | None
    display_name: str


class MeOut(BaseModel):
    user: UserOut
    roles: list[RoleOut]
    stores: list[int] = Field(description="Stores the user works in as store staff")
    csrf_token: str | None = Field(description="Send as X-CSRF-Token on writes made with the session cookie")


class TokenCreateIn(_In):
    name: str = Field(min_length=1, max_length=80, examples=["inventory sync"])


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The secret: shown once, never again. Send as `Authorization: Bearer fc_...`")


class ResetRequestIn(_In):
    identifier: str = Field(min_length=1, max_length=254)


class ResetConfirmIn(_In):
    token: str = Field(min_length=1, max_length=200)
    password: str = Password


class Accepted(BaseModel):
    detail: str

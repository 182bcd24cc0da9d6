"""Who is acting: the signed-in user, their roles and store scopes. Pure, so any context can reason on it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Role(StrEnum):
    SHOPPER = "shopper"
    STORE_STAFF = "store_staff"  # always scoped to a store (one row per store)
    FINANCE_OFFICER = "finance_officer"  # optionally store-scoped
    MARKETER = "marketer"
    ADMIN = "admin"


@dataclass(frozen=True)
class RoleGrant:
    role: str
    store_id: int | None = None


@dataclass(frozen=True)
class Principal:
    user_id: int
    display_name: str
    email: str | None
    mobile: str | None
    grants: frozenset[RoleGrant]
    via: Literal["session", "token"]
    session_id: int | None = None  # the server-side session row, when signed in by cookie
    csrf_token: str | None = None

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(g.role for g in self.grants)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles


def staff_store_ids(user: Principal) -> frozenset[int]:
    """Stores the user works in as store staff (not counting admin's reach over every store)."""
    return frozenset(g.store_id for g in user.grants if g.role == Role.STORE_STAFF and g.store_id is not None)


def can_manage_store(user: Principal, store_id: int) -> bool:
    return user.is_admin or store_id in staff_store_ids(user)


def managed_store_ids(user: Principal) -> frozenset[int] | None:
    """The store ids to hand to another context's use case: None means every store (admin)."""
    return None if user.is_admin else staff_store_ids(user)

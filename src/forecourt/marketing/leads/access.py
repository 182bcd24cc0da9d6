"""Who may work with leads: store staff (their stores' leads, with contact details they may reveal), marketers
(every lead, read-only, contact details always masked) and admins (every lead, every move, masked details)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from forecourt.accounts.principal import Principal, Role, staff_store_ids
from forecourt.accounts.security import CurrentUser, RequiredUser
from forecourt.backoffice.access import NotAllowed, SignInRequired
from forecourt.core.errors import Forbidden
from forecourt.web.page_helpers import here

READERS = (Role.STORE_STAFF, Role.MARKETER, Role.ADMIN)


def scope(user: Principal) -> frozenset[int] | None:
    """The stores whose leads the user sees: None (every store) for admins and marketers."""
    return None if user.has_role(Role.ADMIN, Role.MARKETER) else staff_store_ids(user)


def act_scope(user: Principal) -> frozenset[int] | None:
    """The stores whose leads the user may change: admins every store, staff theirs, marketers none."""
    return None if user.is_admin else staff_store_ids(user)


def may_act(user: Principal) -> bool:
    return user.is_admin or bool(staff_store_ids(user))


def may_act_on(user: Principal, store_id: int) -> bool:
    """Whether the user may change a lead of this store or complete its tasks (admins: any; staff: their stores;
    marketers: none). The lead pages offer a button and the route behind it accepts the post by this one rule,
    so a page never shows an action its route refuses."""
    allowed = act_scope(user)
    return allowed is None or store_id in allowed


def may_reveal(user: Principal, store_id: int) -> bool:
    """Whether the user may see a lead's contact details in clear: staff of the lead's own store only."""
    return store_id in staff_store_ids(user)


def _api_user(user: RequiredUser) -> Principal:
    if not user.has_role(*READERS):
        raise Forbidden("Leads are for store staff, marketers and admins", code="forbidden_role")
    return user


def _page_user(request: Request, user: CurrentUser) -> Principal:
    if user is None:
        raise SignInRequired(here(request) if request.method == "GET" else request.url.path)
    if not user.has_role(*READERS):
        raise NotAllowed()
    return user


LeadApiUser = Annotated[Principal, Depends(_api_user)]
LeadPageUser = Annotated[Principal, Depends(_page_user)]


def require_actor(user: Principal) -> None:
    if not may_act(user):
        raise Forbidden("Marketers may read leads but not change them", code="lead_read_only")

"""Demo accounts: a store manager for gz-tianhe, a shopper, a finance officer, a marketer and an admin, with a
published password.

Never in production: the caller (cli.py's `demo load`) refuses to run there, and so does this module.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from forecourt.accounts import repository, service
from forecourt.accounts.principal import Role, RoleGrant
from forecourt.catalog import service as catalog
from forecourt.core.errors import NotFound

DEMO_PASSWORD = "forecourt-demo-2018"
DEMO_STORE = "gz-tianhe"
DEMO_SELF_SERVICE_STORE = "gz-self-service"  # the manager also runs the self-service store's check-out/in
MANAGER_EMAIL = "manager@demo.forecourt.dev"
ADMIN_EMAIL = "admin@demo.forecourt.dev"
SHOPPER_EMAIL = "shopper@demo.forecourt.dev"
FINANCE_EMAIL = "finance@demo.forecourt.dev"
MARKETER_EMAIL = "marketing@demo.forecourt.dev"


def ensure_demo_users(session: Session, environment: str) -> list[str]:
    """Create (or leave as they are) the demo users; return lines describing their credentials."""
    if environment == "production":
        raise RuntimeError("demo accounts are never created in production")
    lines = []
    store_ids = [store_id for code in (DEMO_STORE, DEMO_SELF_SERVICE_STORE) if (store_id := _store_id(session, code))]
    for store_id in store_ids:
        _ensure(session, MANAGER_EMAIL, "Demo store manager", RoleGrant(Role.STORE_STAFF, store_id))
    if store_ids:
        lines.append(f"store manager ({DEMO_STORE}, {DEMO_SELF_SERVICE_STORE}): {MANAGER_EMAIL} / {DEMO_PASSWORD}")
    _ensure(session, SHOPPER_EMAIL, "Demo shopper", RoleGrant(Role.SHOPPER))
    lines.append(f"shopper: {SHOPPER_EMAIL} / {DEMO_PASSWORD}")
    _ensure(session, FINANCE_EMAIL, "Demo finance officer", RoleGrant(Role.FINANCE_OFFICER))
    lines.append(f"finance officer (every store): {FINANCE_EMAIL} / {DEMO_PASSWORD}")
    _ensure(session, MARKETER_EMAIL, "Demo marketer", RoleGrant(Role.MARKETER))
    lines.append(f"marketer: {MARKETER_EMAIL} / {DEMO_PASSWORD}")
    _ensure(session, ADMIN_EMAIL, "Demo admin", RoleGrant(Role.ADMIN))
    lines.append(f"admin: {ADMIN_EMAIL} / {DEMO_PASSWORD}")
    return lines


def _store_id(session: Session, code: str) -> int | None:
    try:
        return catalog.get_store(session, code).id
    except NotFound:
        return None


def _ensure(session: Session, email: str, name: str, grant: RoleGrant) -> None:
    user = repository.get_user_by_email(session, email)
    if user is None:
        service.create_user(session, email=email, password=DEMO_PASSWORD, display_name=name, grants=[grant])
    else:
        service.grant_role(session, user, grant.role, grant.store_id, actor=None)

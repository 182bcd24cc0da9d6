"""Demo accounts: a store manager for gz-tianhe, a shopper, a finance officer, a marketer and an admin, with a
published password; and the stores' customers (`CUSTOMERS`), whose drives, applications and orders the other
contexts' demos make.

Never in production: the caller (cli.py's `demo load`) refuses to run there, and so does this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from forecourt.accounts import repository, service
from forecourt.accounts.passwords import hash_password
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


@dataclass(frozen=True)
class DemoCustomer:
    """A shopper of the demo's Guangzhou stores on a normal day. The resident ID number (a valid one, check character
    included) is the one they show: their driving licence for a test drive and the number on a credit application,
    chosen so the demo bureau gives the outcome their story needs (listed per customer in finance/credit/demo.py)."""

    email: str
    name: str
    id_number: str

    @property
    def born(self) -> date:
        return date(int(self.id_number[6:10]), int(self.id_number[10:12]), int(self.id_number[12:14]))


CUSTOMERS = (
    DemoCustomer("liu.qiang@demo.forecourt.dev", "刘强", "440106198804121038"),
    DemoCustomer("huang.li@demo.forecourt.dev", "黄丽", "440104199109231106"),
    DemoCustomer("zhou.jie@demo.forecourt.dev", "周杰", "44010519850617125X"),
    DemoCustomer("wu.jing@demo.forecourt.dev", "吴静", "440111199303051065"),
    DemoCustomer("zheng.hao@demo.forecourt.dev", "郑浩", "440103198701281398"),
    DemoCustomer("sun.yue@demo.forecourt.dev", "孙悦", "440106199008112063"),
    DemoCustomer("ma.chao@demo.forecourt.dev", "马超", "440112199402191318"),
    DemoCustomer("hu.min@demo.forecourt.dev", "胡敏", "440113198610301202"),
    DemoCustomer("lin.feng@demo.forecourt.dev", "林峰", "440104199207161252"),
    DemoCustomer("he.xue@demo.forecourt.dev", "何雪", "440105198905042164"),
)
CUSTOMER = {customer.email.split("@")[0]: customer for customer in CUSTOMERS}  # by the name before the @


def ensure_demo_customers(session: Session) -> dict[str, int]:
    """The demo customers' user ids by e-mail, creating the missing ones (shoppers, the demo password). One
    password hash serves them all: argon2 takes about half a second a hash, and ten would double the demo's load."""
    ids: dict[str, int] = {}
    password_hash: str | None = None
    for customer in CUSTOMERS:
        user = repository.get_user_by_email(session, customer.email)
        if user is None:
            email, mobile = service.check_new_account(customer.email, None, DEMO_PASSWORD)
            password_hash = password_hash or hash_password(DEMO_PASSWORD)
            user = service.add_user(
                session, email, mobile, password_hash, customer.name, grants=[RoleGrant(Role.SHOPPER)]
            )
        ids[customer.email] = user.id
    return ids

"""Finance demo data: the demo customers' credit applications at the Guangzhou Tianhe store, in every state the finance
officer's queue shows, made through the real use cases at their own times (the clock pinned, as the demo simulator
may): a quote comparison of a car (`quotes.compare`, 36 months, 20 % down), then the application on its loan quote
(`credit.service.submit`; the demo bureau answers by the customer's ID number, `accounts.demo.CUSTOMERS`), and for one
the finance officer's decision by hand (`credit.review.override`).

- waiting for the officer's review (no credit file, so no automatic decision): 周杰 yesterday, 马超 this morning;
- approved with conditions (the payment is over the tier's share of income; a larger down payment cures it): 黄丽
  and 林峰;
- declined: 吴静 (a score below the lowest tier) and 何雪 (three late payments in 24 months);
- approved: 刘强 automatically; 孙悦 by the finance officer yesterday, after a manual review; 胡敏's pre-qualification.

No application is withdrawn: nothing in the finance context withdraws one yet, and the demo writes no row by hand.
This module sits above `quotes` and `credit` rather than in `credit`, which `programs` (and so `quotes`) imports: the
finance sub-packages import each other without cycles. Idempotent: nothing is added once the customers have
applications; a catalog without a car for sale at the store skips an application.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from forecourt.accounts import service as accounts
from forecourt.accounts.demo import CUSTOMER, DEMO_STORE, FINANCE_EMAIL, ensure_demo_customers
from forecourt.catalog import service as catalog
from forecourt.catalog.models import Store
from forecourt.core import clock
from forecourt.core.crypto import FieldCipher
from forecourt.core.errors import DomainError
from forecourt.core.settings import Settings
from forecourt.finance.credit import review
from forecourt.finance.credit import service as applications
from forecourt.finance.demo_days import CarsForSale, cipher, moment
from forecourt.finance.models import CreditApplication
from forecourt.finance.quotes import service as quotes

TERMS = quotes.QuoteInputs(term_months=36, down_percent=Decimal("0.2"))
CONSENTS = {
    "application": frozenset({"credit_check", "share_with_provider"}),
    "prequalification": frozenset({"prequalification"}),
}
QUOTED_BEFORE = timedelta(minutes=20)  # the comparison the customer applied from


@dataclass(frozen=True)
class OfficersDecision:
    outcome: str
    reason: str
    day: int
    at: time


@dataclass(frozen=True)
class DemoApplication:
    customer: str  # a key of accounts.demo.CUSTOMER
    models: tuple[str, ...]  # the car: the store's first available one of these models
    day: int  # days from the store's today
    at: time
    monthly_income: str
    employer: str
    address: str
    monthly_housing: str = "2500.00"
    monthly_debts: str = "0.00"
    employment_months: int = 48
    kind: str = "application"
    officer: OfficersDecision | None = None


APPLICATIONS = (
    # approved: score 856, the payment a sixth of income
    DemoApplication("liu.qiang", ("focus",), -2, time(15), "32000.00", "广州港集团", "广州市天河区体育西路 111 号"),
    # manual review, then approved by hand yesterday
    DemoApplication(
        "sun.yue",
        ("mondeo",),
        -2,
        time(11, 30),
        "18500.00",
        "自由职业（设计）",
        "广州市天河区华穗路 263 号",
        monthly_housing="3200.00",
        employment_months=30,
        officer=OfficersDecision("approved", "已核实收入证明和 12 个月银行流水，收入稳定。", -1, time(16)),
    ),
    # conditional: score 936, a Mondeo's payment over 40 % of 9,000 a month
    DemoApplication(
        "huang.li",
        ("mondeo",),
        -2,
        time(17),
        "9000.00",
        "广州市第一人民医院",
        "广州市越秀区盘福路 1 号",
        monthly_housing="1500.00",
    ),
    # conditional: score 911, an Edge on 16,000 a month
    DemoApplication(
        "lin.feng", ("edge", "explorer"), -1, time(11), "16000.00", "南方电网", "广州市越秀区东风东路 757 号"
    ),
    # declined: score 437
    DemoApplication(
        "wu.jing",
        ("kuga",),
        -3,
        time(14),
        "11000.00",
        "广州地铁集团",
        "广州市白云区机场路 1288 号",
        monthly_debts="800.00",
    ),
    # declined: three late payments in 24 months
    DemoApplication(
        "he.xue", ("kuga", "focus"), -4, time(10, 30), "21000.00", "广州酒家集团", "广州市海珠区江南大道中 180 号"
    ),
    # pre-qualified (a soft check): score 836
    DemoApplication(
        "hu.min",
        ("focus", "escort"),
        -3,
        time(19),
        "20000.00",
        "中山大学",
        "广州市番禺区大学城外环东路 132 号",
        kind="prequalification",
    ),
    # waiting for the officer: no credit file
    DemoApplication(
        "zhou.jie",
        ("edge", "kuga"),
        -1,
        time(14, 30),
        "30000.00",
        "个体经营（餐饮）",
        "广州市海珠区新港中路 397 号",
        employment_months=14,
    ),
    DemoApplication(
        "ma.chao",
        ("mondeo", "focus"),
        0,
        time(9, 30),
        "18000.00",
        "广汽集团",
        "广州市黄埔区开创大道 2 号",
        employment_months=20,
    ),
)


def load_credit_demo(session: Session, settings: Settings, now: datetime | None = None) -> str:
    now = now or clock.utcnow()
    officer = accounts.find_user(session, FINANCE_EMAIL)
    if officer is None:
        return "credit applications: skipped (no demo finance officer)"
    customers = ensure_demo_customers(session)
    if any(review.list_own(session, user_id) for user_id in customers.values()):
        return "credit applications: the customers' applications are already there"
    store = catalog.get_store(session, DEMO_STORE)
    desk = _Desk(session, cipher(settings), store, officer.id, now, CarsForSale.at(session, store))
    made = []
    for spec in APPLICATIONS:
        user_id = customers[CUSTOMER[spec.customer].email]
        row = _maybe(session, lambda spec=spec, user_id=user_id: _apply(desk, spec, user_id))
        if row is not None:
            made.append(row)
    if not made:
        return f"credit applications: none (no car for sale at {DEMO_STORE})"
    shown = ", ".join(
        f"{count} {status.replace('_', ' ')}" for status, count in sorted(Counter(m.status for m in made).items())
    )
    return f"credit applications: {len(made)} at {DEMO_STORE} ({shown})"


@dataclass(frozen=True)
class _Desk:
    """What every application needs: the session, the app's cipher, the store, its finance officer, the cars."""

    session: Session
    sealer: FieldCipher
    store: Store
    officer_id: int
    now: datetime
    cars: CarsForSale


def _maybe(session: Session, step: Callable[[], CreditApplication | None]) -> CreditApplication | None:
    """One application (and the officer's decision on it) in a savepoint: a refusal leaves nothing of it behind."""
    try:
        with session.begin_nested():
            return step()
    except DomainError:
        return None


def _apply(desk: _Desk, spec: DemoApplication, user_id: int) -> CreditApplication | None:
    car = desk.cars.take(spec.models)
    if car is None:
        return None
    applied_at = moment(desk.store, desk.now, spec.day, spec.at)
    with clock.pinned(applied_at - QUOTED_BEFORE):
        comparison = quotes.compare(desk.session, car.vin, TERMS, clock.utcnow().date(), user_id=user_id)
    loan = comparison.quote_for("loan")
    if loan is None:
        return None
    customer = CUSTOMER[spec.customer]
    person = applications.ApplicantInput(
        full_name=customer.name,
        id_type="resident_id",
        id_number=customer.id_number,
        date_of_birth=customer.born,
        address=spec.address,
        employer=spec.employer,
        employment_months=spec.employment_months,
        monthly_income=Decimal(spec.monthly_income),
        monthly_housing_cost=Decimal(spec.monthly_housing),
        monthly_other_debts=Decimal(spec.monthly_debts),
    )
    submission = applications.Submission(spec.kind, user_id, loan.reference, person, CONSENTS[spec.kind])
    with clock.pinned(applied_at):
        row = applications.submit(desk.session, desk.sealer, submission, now=applied_at)
    if spec.officer is not None:
        _decide(desk, row, spec.officer)
    return row


def _decide(desk: _Desk, row: CreditApplication, decision: OfficersDecision) -> None:
    at = max(moment(desk.store, desk.now, decision.day, decision.at), row.created_at + timedelta(minutes=30))
    with clock.pinned(at):
        review.override(
            desk.session,
            desk.sealer,
            review.provider_of(desk.session, row),
            row.reference,
            actor_user_id=desk.officer_id,
            allowed_store_ids=None,
            outcome=decision.outcome,
            reason=decision.reason,
            now=at,
        )

"""The pace warnings job: when a lease's projected km reach 10 % and 20 % over the allowance, the owner hears it
once each, through the outbox, in the job's own transaction.

Exactly once per ownership and threshold, however often the job runs and however many workers run it: the
thresholds reached are rows keyed by (ownership, threshold), inserted with ON CONFLICT DO NOTHING; only the
transaction whose insert created the row of the threshold to send writes the message (the pure core decides which
threshold that is: the highest newly reached, never a lower one after a higher). Whom to tell is asked of the
caller (`contact_of`: the jobs registry passes the accounts context's lookup), so these use cases know no accounts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from forecourt.core.outbox import Channel, enqueue
from forecourt.ownership.leases import repository
from forecourt.ownership.leases.mileage import LeaseMileage
from forecourt.ownership.leases.pace_warnings import PaceThreshold, pace_warnings
from forecourt.ownership.leases.service import mileage_of
from forecourt.ownership.models import Ownership
from forecourt.ownership.records import repository as records_repository
from forecourt.ownership.records import service as records
from forecourt.ownership.records.contracts import has_mileage_terms


@dataclass(frozen=True)
class Contact:
    email: str | None
    mobile: str | None


ContactOf = Callable[[int], Contact | None]


def send_pace_warnings(session: Session, now: datetime, contact_of: ContactOf) -> int:
    """Evaluate every current lease; returns how many warnings were written to the outbox."""
    sent = 0
    for ownership, contract in records_repository.current_leases(session):
        terms = records.terms_of(contract)
        if not has_mileage_terms(terms):
            continue
        mileage = mileage_of(session, ownership, terms, now)
        decision = pace_warnings(mileage, repository.reached_thresholds(session, ownership.id))
        if not decision.newly_reached:
            continue
        projection = mileage.projection
        assert projection is not None  # the core reaches no threshold without one
        send = int(decision.send) if decision.send is not None else None
        inserted = repository.record_reached(
            session,
            ownership.id,
            [int(t) for t in decision.newly_reached],
            send,
            now,
            projection.projected_km,
            projection.allowance_km,
        )
        if send is not None and send in inserted:
            sent += _tell(session, ownership, mileage, PaceThreshold(send), contact_of(ownership.user_id))
    return sent


def _tell(
    session: Session, ownership: Ownership, mileage: LeaseMileage, threshold: PaceThreshold, contact: Contact | None
) -> int:
    if contact is None or not (contact.email or contact.mobile):
        return 0
    projection = mileage.projection
    assert projection is not None
    subject = (
        f"Your lease is on pace to run {int(threshold)}% over its km / 您的租赁车辆行驶里程预计超出{int(threshold)}%"
    )
    body = (
        f"At your current pace your car ({ownership.vin}) will have driven {projection.projected_km:,} km by "
        f"{projection.end_day.isoformat()}, against an allowance of {projection.allowance_km:,} km: "
        f"{projection.excess_km:,} km over, about {projection.currency} {projection.excess_charge:,.2f} at your "
        f"contract's rate. See the arithmetic in My garage: /garage/{ownership.reference}/lease\n\n"
        f"按目前的行驶速度，您的车辆（{ownership.vin}）到 {projection.end_day.isoformat()} 预计行驶 "
        f"{projection.projected_km:,} 公里，合同里程为 {projection.allowance_km:,} 公里，超出 {projection.excess_km:,} "
        f"公里，按合同费率约 {projection.currency} {projection.excess_charge:,.2f}。计算过程见“我的车库”：/garage/{ownership.reference}/lease"
    )
    count = 0
    if contact.email:
        enqueue(session, Channel.EMAIL, contact.email, subject, body)
        count = 1
    if contact.mobile:
        enqueue(session, Channel.SMS, contact.mobile, subject, body)
        count = 1
    return count

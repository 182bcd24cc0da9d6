"""A service job's courtesy car, lent by the test-drive engine (`testdrive.courtesy`) from drop-off to pick-up.

The job keeps the loan's reference only; the car, its overlap with test drives and other loans, and the store's fleet
and hours are the engine's. Each step of the job moves its loan in the same transaction: the hold holds it (a refused
loan refuses the hold, and the request's rollback leaves neither row), confirm confirms it, cancel and hold expiry
release it, completion ends it. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from forecourt.ownership.service_bookings.models import ServiceJob
from forecourt.testdrive import courtesy as loans
from forecourt.testdrive.courtesy import CourtesyLoan

__all__ = ["CourtesyLoan", "cancel", "confirm", "end", "expire", "lend", "loan_of", "loans_of"]


def lend(session: Session, job: ServiceJob, now: datetime) -> CourtesyLoan:
    """Hold a courtesy car for the held job, from its drop-off to its pick-up, lapsing with the job's hold."""
    assert job.hold_expires_at is not None, "a courtesy car is lent with a held job"
    loan = loans.lend(
        session,
        loans.LoanRequest(
            store_id=job.store_id,
            borrower_user_id=job.owner_user_id,
            start=job.drop_off_at,
            end=job.pick_up_at,
            hold_until=job.hold_expires_at,
            contact_email=job.contact_email,
            contact_mobile=job.contact_mobile,
            language=job.language,
        ),
        now=now,
    )
    job.courtesy_loan_reference = loan.reference
    session.flush()
    return loan


def confirm(session: Session, job: ServiceJob, now: datetime) -> None:
    if job.courtesy_loan_reference:
        loans.confirm_loan(session, job.courtesy_loan_reference, now=now)


def cancel(session: Session, job: ServiceJob, *, actor: int | None, now: datetime) -> None:
    if job.courtesy_loan_reference:
        loans.cancel_loan(session, job.courtesy_loan_reference, actor=actor, now=now)


def expire(session: Session, references: Collection[str], now: datetime) -> int:
    return loans.expire_loans(session, references, now=now) if references else 0


def end(session: Session, job: ServiceJob, *, actor: int | None, now: datetime) -> None:
    if job.courtesy_loan_reference:
        loans.end_loan(session, job.courtesy_loan_reference, actor=actor, now=now)


def loan_of(session: Session, job: ServiceJob, now: datetime) -> CourtesyLoan | None:
    if not job.courtesy_loan_reference:
        return None
    return loans.loans(session, [job.courtesy_loan_reference], now=now).get(job.courtesy_loan_reference)


def loans_of(session: Session, jobs: Sequence[ServiceJob], now: datetime) -> dict[str, CourtesyLoan]:
    """The loans of these jobs by loan reference, in one query (the calendar lists many jobs)."""
    return loans.loans(session, [j.courtesy_loan_reference for j in jobs if j.courtesy_loan_reference], now=now)

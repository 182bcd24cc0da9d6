"""Every query of the servicing sub-package."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from forecourt.ownership.servicing.models import FaultVisit, ServiceRecord, ServiceReminder, ServiceSchedulePlan


def _insert(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def list_plans(session: Session) -> Sequence[ServiceSchedulePlan]:
    statement = select(ServiceSchedulePlan).order_by(ServiceSchedulePlan.model_code, ServiceSchedulePlan.powertrain)
    return session.scalars(statement).all()


def replace_plans(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """The whole table at once: a file replaces the table it was exported from, rows missing from it go."""
    session.execute(delete(ServiceSchedulePlan))
    session.add_all(ServiceSchedulePlan(**row) for row in rows)
    session.flush()


def records_of(session: Session, vin: str) -> Sequence[ServiceRecord]:
    statement = select(ServiceRecord).where(ServiceRecord.vin == vin).order_by(ServiceRecord.done_on, ServiceRecord.id)
    return session.scalars(statement).all()


def add_record(session: Session, record: ServiceRecord) -> None:
    session.add(record)
    session.flush()


def stages_reached(session: Session, vin: str, service_key: str) -> list[str]:
    statement = select(ServiceReminder.stage).where(
        ServiceReminder.vin == vin, ServiceReminder.service_key == service_key
    )
    return list(session.scalars(statement))


def insert_reminder_once(session: Session, values: dict[str, Any]) -> bool:
    """True when this transaction took the (VIN, service, stage) row; False when another already has it (on
    PostgreSQL a concurrent insert waits for the other transaction and then finds the row)."""
    statement = (
        _insert(session, ServiceReminder)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["vin", "service_key", "stage"])
    )
    return session.execute(statement.returning(ServiceReminder.id)).first() is not None


def insert_fault_visit_once(session: Session, values: dict[str, Any]) -> bool:
    statement = (
        _insert(session, FaultVisit)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["vin", "code", "fault_opened_at"])
    )
    return session.execute(statement.returning(FaultVisit.id)).first() is not None


def fault_visits_of(session: Session, vin: str) -> set[tuple[str, datetime]]:
    statement = select(FaultVisit.code, FaultVisit.fault_opened_at).where(FaultVisit.vin == vin)
    return {(code, opened) for code, opened in session.execute(statement)}

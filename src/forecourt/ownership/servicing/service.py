"""Servicing use cases: the schedule table (stored, imported and exported like rate programs), the services done,
and a car's service status — the next service by date or km, its reminder stage, and its open recall notices.

The odometer readings a prediction uses are the delivery reading (from the ownership contract, in `OwnedCar`),
the readings written down at each service done, and the car's own latest reading from the telematics query
service; the pure core checks them for sense (ownership.odometer) before any rate is taken. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import service as catalog
from forecourt.core.errors import NotFound
from forecourt.finance.programs.file_formats import FileFormatError, Problem
from forecourt.finance.programs.import_export import FileRejected
from forecourt.ownership.odometer import CheckedReadings, OdometerReading, check_readings
from forecourt.ownership.owned_cars import OwnedCar
from forecourt.ownership.recalls import service as recalls
from forecourt.ownership.servicing import repository
from forecourt.ownership.servicing.models import EVERY, ServiceRecord
from forecourt.ownership.servicing.reminders import ReminderStage, stage_for
from forecourt.ownership.servicing.schedule_files import format_schedules, parse_schedules, table_from
from forecourt.ownership.servicing.schedules import (
    DEFAULT_TABLE,
    NextService,
    ScheduleTable,
    ServiceDue,
    ServiceInterval,
    ServicePlan,
    next_service,
    service_due,
)
from forecourt.telematics import query_service as telemetry

# --- the schedule table --------------------------------------------------------------------------------------------


def schedule_table(session: Session) -> ScheduleTable:
    """The stored table; the defaults when it is empty (a table must always have a plan for every car)."""
    plans = tuple(
        ServicePlan(
            row.model_code or None,
            row.powertrain or None,
            ServiceInterval(row.first_km, row.first_months),
            ServiceInterval(row.every_km, row.every_months),
        )
        for row in repository.list_plans(session)
    )
    return ScheduleTable(plans) if plans else DEFAULT_TABLE


def export_schedules(session: Session, file_format: str) -> bytes:
    return format_schedules(schedule_table(session).plans, file_format)


def import_schedules(session: Session, data: bytes, file_format: str, *, actor: int | None) -> ScheduleTable:
    """Replace the table with the file's, or change nothing: a file with any problem raises FileRejected with every
    problem and its line. The table must keep a plan for every car (an empty model and powertrain)."""
    try:
        parsed = parse_schedules(data, file_format)
    except FileFormatError as exc:
        raise FileRejected("service schedule", [Problem(exc.line, exc.column, str(exc))]) from None
    if parsed.problems:
        raise FileRejected("service schedule", parsed.problems)
    table = table_from(parsed)
    if not any(plan.key == (None, None) for plan in table.plans):
        raise FileRejected(
            "service schedule",
            [Problem(None, "model_code", "The table needs a row for every car: empty model_code and powertrain.")],
        )
    repository.replace_plans(session, [_row(plan) for plan in table.plans])
    audit.record(
        session, actor, "servicing.schedules_imported", "service_schedules", "table", None, rows=len(table.plans)
    )
    return table


def _row(plan: ServicePlan) -> dict[str, object]:
    return {
        "model_code": plan.model_code or EVERY,
        "powertrain": plan.powertrain or EVERY,
        "first_km": plan.first.km,
        "first_months": plan.first.months,
        "every_km": plan.recurring.km,
        "every_months": plan.recurring.months,
    }


# --- services done and the next one --------------------------------------------------------------------------------


def delivery_reading(car: OwnedCar) -> OdometerReading:
    return OdometerReading(car.delivered_on, car.delivery_km)


def last_periodic_service(session: Session, car: OwnedCar) -> OdometerReading | None:
    """The latest periodic service since delivery (a repair or a tyre change does not reset the schedule; a
    previous owner's services before this delivery belong to their contract, not this one's first service)."""
    done = [r for r in repository.records_of(session, car.vin) if r.periodic and r.done_on >= car.delivered_on]
    return OdometerReading(done[-1].done_on, done[-1].odometer_km) if done else None


def odometer_readings(session: Session, car: OwnedCar, today: date) -> CheckedReadings:
    readings = [OdometerReading(r.done_on, r.odometer_km) for r in repository.records_of(session, car.vin)]
    latest = _car_reading(session, car.vin)
    if latest is not None:
        readings.append(latest)
    return check_readings(delivery_reading(car), readings, today)


def _car_reading(session: Session, vin: str) -> OdometerReading | None:
    try:
        vehicle = catalog.get_vehicle(session, vin)
    except NotFound:
        return None  # a car registered from outside the catalog: only its service readings count
    reading = telemetry.car_reading(session, vehicle.id)
    if reading is None or reading.odometer_km is None:
        return None
    return OdometerReading(reading.at.date(), reading.odometer_km)


def due_of(session: Session, car: OwnedCar) -> ServiceDue:
    plan = schedule_table(session).plan_for(car.model_code, car.powertrain)
    return service_due(plan, delivery_reading(car), last_periodic_service(session, car))


def service_key(due: ServiceDue) -> str:
    """Names one due service: its counting point. A completed service moves it, so reminders start afresh."""
    return f"{due.counted_from.day.isoformat()}@{due.counted_from.km}"


def record_service(
    session: Session, car: OwnedCar, reference: str, done_on: date, odometer_km: int, *, periodic: bool
) -> ServiceDue:
    """Record a service done (a completed job) and return the next service due by the plan."""
    repository.add_record(
        session,
        ServiceRecord(vin=car.vin, reference=reference, done_on=done_on, odometer_km=odometer_km, periodic=periodic),
    )
    return due_of(session, car)


@dataclass(frozen=True)
class ServiceStatus:
    """What the garage shows under "service": the next service, its reminder stage today, open recalls."""

    next_service: NextService
    stage: ReminderStage
    open_recalls: Sequence[recalls.OpenNotice]


def service_status(session: Session, car: OwnedCar, today: date) -> ServiceStatus:
    upcoming = next_service(due_of(session, car), odometer_readings(session, car, today))
    return ServiceStatus(upcoming, stage_for(upcoming, today), recalls.open_notices(session, car.vin))

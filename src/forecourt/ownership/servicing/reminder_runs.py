"""The scheduled servicing work: reminders at each stage of the next service, and a visit suggested for each new
severe fault code — each exactly once, however often the job runs and however many workers run it.

For every owned car the pure core decides: the next service from the schedule, the last periodic service and the
odometer (servicing.service), its stage today (reminders.stage_for) and what is newly reached since the stages
already stored for that service (reminders.stage_change). Each newly reached stage is a row keyed by (VIN, service,
stage) inserted with ON CONFLICT DO NOTHING; the message goes out only from the transaction whose insert took the
row of the stage to send. Two runners that read "nothing reached yet" at once both try the insert: PostgreSQL
makes the second wait for the first and then find the row; on SQLite the job transaction holds the write lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.core.errors import NotFound
from forecourt.ownership.owned_cars import OwnedCar
from forecourt.ownership.servicing import notifications, repository
from forecourt.ownership.servicing import service as servicing
from forecourt.ownership.servicing.fault_visits import severe_new_faults
from forecourt.ownership.servicing.reminders import ReminderStage, stage_change, stage_for
from forecourt.ownership.servicing.schedules import next_service
from forecourt.telematics import query_service as telemetry


def send_due_reminders(session: Session, cars: Sequence[OwnedCar], now: datetime) -> int:
    """Reminders sent now (one per car at most: the highest stage newly reached), each car's stage taken on its
    store's local day."""
    sent = 0
    for car in cars:
        today = car.local_day(now)
        due = servicing.due_of(session, car)
        upcoming = next_service(due, servicing.odometer_readings(session, car, today))
        key = servicing.service_key(due)
        reached = repository.stages_reached(session, car.vin, key)
        highest = max((ReminderStage[stage.upper()] for stage in reached), default=ReminderStage.NONE)
        change = stage_change(highest, stage_for(upcoming, today))
        for stage in change.newly_reached:
            values = {
                "vin": car.vin,
                "service_key": key,
                "stage": stage.name.lower(),
                "owner_user_id": car.owner_user_id,
                "store_id": car.store_id,
                "sent": stage == change.send,
                "reached_at": now,
            }
            if repository.insert_reminder_once(session, values) and stage == change.send:
                notifications.send_reminder(session, car, stage, upcoming)
                sent += 1
    return sent


def suggest_fault_visits(session: Session, cars: Sequence[OwnedCar], now: datetime) -> int:
    """A visit suggested for each severe fault the car reports that has not had one (a fault that clears and comes
    back opens a new interval, so it is a new fault)."""
    suggested = 0
    for car in cars:
        try:
            vehicle = catalog.get_vehicle(session, car.vin)
        except NotFound:
            continue  # not a catalog car: it cannot report to telematics
        _, open_faults = telemetry.latest_state(session, vehicle.id)
        opened = {fault.code: fault.opened_at for fault in open_faults}
        visited = repository.fault_visits_of(session, car.vin)
        previous = {code for code, at in opened.items() if (code, at) in visited}
        for fault in severe_new_faults(previous, opened):
            values = {
                "vin": car.vin,
                "code": fault.code,
                "fault_opened_at": opened[fault.code],
                "owner_user_id": car.owner_user_id,
                "suggested_at": now,
            }
            if repository.insert_fault_visit_once(session, values):
                notifications.send_fault_visit(session, car, fault)
                suggested += 1
    return suggested

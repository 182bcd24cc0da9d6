"""The notice an alert sends to the store: one e-mail per address the watch names, written to the outbox in the
alert's own transaction (so it goes out once, after commit, whichever worker raised it). Chinese first, then
English: the store's staff read either, and a notice must not wait for anyone's language preference."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.core.outbox import Channel, enqueue
from forecourt.telematics.watching import wording
from forecourt.telematics.watching.models import VehicleWatch
from forecourt.telematics.watching.rules import Alert


def tell_store(session: Session, watch: VehicleWatch, alert: Alert) -> int:
    if not watch.notify:
        return 0
    vehicle = catalog.get_vehicle_by_id(session, watch.vehicle_id)
    zone = ZoneInfo(vehicle.store.time_zone)
    details = wording.for_people(alert.kind, alert.details, zone)
    title, said = wording.title(alert.kind), wording.sentence(alert.kind, details)
    reference = watch.subject.split(":", 1)[-1]
    at = alert.at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    subject = f"[{reference}] {title.zh} / {title.en} · {vehicle.model.name_en} {vehicle.vin[-6:]}"
    body = "\n".join(
        [
            f"{title.zh}（{at}）：{said.zh}",
            f"{vehicle.model.name_zh} · VIN {vehicle.vin} · {reference}",
            "",
            f"{title.en} ({at}): {said.en}",
            f"{vehicle.model.name_en} · VIN {vehicle.vin} · {reference}",
            "",
            watch.link,
        ]
    )
    for address in watch.notify:
        enqueue(session, Channel.EMAIL, address, subject[:200], body)
    return len(watch.notify)

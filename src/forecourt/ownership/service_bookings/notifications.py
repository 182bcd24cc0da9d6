"""What the owner is told when a service job is confirmed (e-mail and SMS through the outbox, in the job's language):
when to bring the car, when it should be ready, and the courtesy car waiting for them if one is lent."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.core.outbox import Channel, enqueue
from forecourt.ownership.service_bookings.models import ServiceJob
from forecourt.testdrive.courtesy import CourtesyLoan


def service_confirmed(session: Session, job: ServiceJob, loan: CourtesyLoan | None) -> None:
    store = catalog.stores_by_id(session)[job.store_id]
    where_zh, where_en, zone = store.name_zh, store.name_en, ZoneInfo(store.time_zone)
    at = job.drop_off_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    ready = job.pick_up_at.astimezone(zone).strftime("%H:%M")
    if job.language.lower().startswith("zh"):
        subject, body = (
            f"保养预约已确认 {job.reference}",
            f"请于 {at} 将车辆（VIN {job.vin}）送到{where_zh}，预计 {ready} 可取车。",
        )
        if loan is not None:
            body += f"送车时将为您提供代步车（{loan.model_zh} {loan.masked_vin}），取车时归还。"
    else:
        subject = f"Service booked: {job.reference}"
        body = f"Please bring your car (VIN {job.vin}) to {where_en} at {at}; it should be ready at {ready}."
        if loan is not None:
            body += f" A courtesy car ({loan.model_en} {loan.masked_vin}) is yours until you collect your own."
    if job.contact_email:
        enqueue(session, Channel.EMAIL, job.contact_email, subject, body)
    if job.contact_mobile:
        enqueue(session, Channel.SMS, job.contact_mobile, "", body[:300])

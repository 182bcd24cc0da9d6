"""Messages about a test drive, written to the outbox in the booking's own transaction (sent after commit).

The confirmation e-mail carries an iCalendar invite (RFC 5545, built with `icalendar`) whose UID is the
booking reference, so a reschedule or a cancellation updates the same calendar entry.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText
from sqlalchemy.orm import Session

from forecourt.catalog.models import Vehicle
from forecourt.core.outbox import Channel, enqueue
from forecourt.testdrive import repository
from forecourt.testdrive.models import TestDriveBooking

REMINDER_AHEAD = timedelta(hours=24)
FOLLOW_UP_AFTER = timedelta(hours=2)
ICS_DOMAIN = "forecourt.dev"


def _zh(booking: TestDriveBooking) -> bool:
    return booking.language.lower().startswith("zh")


def _when(booking: TestDriveBooking, vehicle: Vehicle, at: datetime | None = None) -> str:
    local = (at or booking.starts_at).astimezone(ZoneInfo(vehicle.store.time_zone))
    return local.strftime("%Y-%m-%d %H:%M")


def _what(booking: TestDriveBooking, vehicle: Vehicle) -> str:
    if _zh(booking):
        return f"{vehicle.model.name_zh} 试驾（{vehicle.store.name_zh}）"
    return f"{vehicle.model.name_en} test drive at {vehicle.store.name_en}"


def calendar_invite(booking: TestDriveBooking, vehicle: Vehicle, *, cancelled: bool = False) -> str:
    calendar = Calendar()
    calendar.add("prodid", "-//Forecourt//Test drives//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", f"{booking.reference}@{ICS_DOMAIN}")
    event.add("sequence", int(booking.updated_at.timestamp()))  # later changes supersede earlier ones
    event.add("dtstamp", booking.updated_at)
    event.add("dtstart", booking.starts_at)
    event.add("dtend", booking.ends_at)
    event.add("summary", _what(booking, vehicle))
    event.add("location", vText(vehicle.store.address_zh if _zh(booking) else vehicle.store.address_en))
    event.add("description", f"{booking.reference} · VIN {vehicle.vin} · {vehicle.store.phone}")
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if booking.contact_email:
        attendee = vCalAddress(f"mailto:{booking.contact_email}")
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", attendee, encode=0)
    calendar.add_component(event)
    return calendar.to_ical().decode()


def _send(
    session: Session,
    booking: TestDriveBooking,
    subject: str,
    body: str,
    *,
    invite: str | None = None,
    sensitive: bool = False,
) -> None:
    attachments = (
        [{"filename": f"{booking.reference}.ics", "content_type": "text/calendar", "content": invite}] if invite else []
    )
    if booking.contact_email:
        enqueue(
            session, Channel.EMAIL, booking.contact_email, subject, body, attachments=attachments, sensitive=sensitive
        )
    if booking.contact_mobile:
        enqueue(session, Channel.SMS, booking.contact_mobile, subject, f"{subject}: {body}"[:500], sensitive=sensitive)


def _code_line(booking: TestDriveBooking, code: str) -> str:
    if _zh(booking):
        return f"取车码 {code}（仅限取车时段内使用一次，请勿转发）"
    return f"Pick-up code {code} (works once, during your pick-up window; do not share it)"


def booking_confirmed(session: Session, booking: TestDriveBooking, vehicle: Vehicle, pickup_code: str | None) -> None:
    zh = _zh(booking)
    subject = f"试驾已确认 {booking.reference}" if zh else f"Test drive confirmed {booking.reference}"
    body = f"{_what(booking, vehicle)} · {_when(booking, vehicle)}"
    _send(session, booking, subject, body, invite=calendar_invite(booking, vehicle))
    if pickup_code:
        pickup_code_sent(session, booking, vehicle, pickup_code)


def pickup_code_sent(session: Session, booking: TestDriveBooking, vehicle: Vehicle, code: str) -> None:
    subject = f"取车码 {booking.reference}" if _zh(booking) else f"Pick-up code {booking.reference}"
    _send(
        session,
        booking,
        subject,
        f"{_what(booking, vehicle)} · {_when(booking, vehicle)} · {_code_line(booking, code)}",
        sensitive=True,
    )


def booking_rescheduled(session: Session, booking: TestDriveBooking, vehicle: Vehicle, previous: datetime) -> None:
    zh = _zh(booking)
    subject = f"试驾时间已更改 {booking.reference}" if zh else f"Test drive moved {booking.reference}"
    body = f"{_what(booking, vehicle)} · {_when(booking, vehicle, previous)} → {_when(booking, vehicle)}"
    if booking.status == "confirmed":
        _send(session, booking, subject, body, invite=calendar_invite(booking, vehicle))


def booking_cancelled(session: Session, booking: TestDriveBooking, vehicle: Vehicle) -> None:
    zh = _zh(booking)
    subject = f"试驾已取消 {booking.reference}" if zh else f"Test drive cancelled {booking.reference}"
    refund = f" · 退款 CNY {booking.refunded_amount}" if zh else f" · refund CNY {booking.refunded_amount}"
    body = f"{_what(booking, vehicle)} · {_when(booking, vehicle)}" + (refund if booking.refunded_amount else "")
    _send(session, booking, subject, body, invite=calendar_invite(booking, vehicle, cancelled=True))


def send_due_reminders(session: Session, now: datetime, vehicle_of: Callable[[int], Vehicle]) -> int:
    sent = 0
    for booking in repository.due_reminders(session, now, now + REMINDER_AHEAD):
        vehicle = vehicle_of(booking.vehicle_id)
        zh = _zh(booking)
        subject = f"明天试驾 {booking.reference}" if zh else f"Your test drive is coming up {booking.reference}"
        _send(session, booking, subject, f"{_what(booking, vehicle)} · {_when(booking, vehicle)}")
        booking.reminder_sent_at = now
        sent += 1
    session.flush()
    return sent


def send_due_follow_ups(session: Session, now: datetime, vehicle_of: Callable[[int], Vehicle]) -> int:
    sent = 0
    for booking in repository.due_follow_ups(session, now - FOLLOW_UP_AFTER):
        vehicle = vehicle_of(booking.vehicle_id)
        zh = _zh(booking)
        subject = f"感谢试驾 {vehicle.model.name_zh}" if zh else f"Thank you for driving the {vehicle.model.name_en}"
        body = (
            "想了解报价或金融方案？回复此消息或访问门店。"
            if zh
            else "Would you like a quote or a finance offer? Reply to this message or visit the store."
        )
        _send(session, booking, subject, body)
        booking.follow_up_sent_at = now
        sent += 1
    session.flush()
    return sent

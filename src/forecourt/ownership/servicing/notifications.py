"""Messages to owners about servicing, written to the outbox in the job's transaction (sent after commit)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from forecourt.core.outbox import Channel, enqueue
from forecourt.ownership.owned_cars import OwnedCar
from forecourt.ownership.servicing.reminders import ReminderStage
from forecourt.ownership.servicing.schedules import NextService
from forecourt.telematics.fault_codes import Description

_STAGE_EN = {
    ReminderStage.NOTICE: "Your car's next service is coming up",
    ReminderStage.SOON: "Your car's service is due soon",
    ReminderStage.DUE: "Your car's service is due now",
}
_STAGE_ZH = {
    ReminderStage.NOTICE: "您的爱车即将需要保养",
    ReminderStage.SOON: "您的爱车保养临近",
    ReminderStage.DUE: "您的爱车已到保养时间",
}


def _zh(car: OwnedCar) -> bool:
    return car.language.lower().startswith("zh")


def _send(session: Session, car: OwnedCar, subject: str, body: str) -> None:
    if car.contact_email:
        enqueue(session, Channel.EMAIL, car.contact_email, subject, body)
    if car.contact_mobile:
        enqueue(session, Channel.SMS, car.contact_mobile, "", f"{subject}. {body}"[:300])


def send_reminder(session: Session, car: OwnedCar, stage: ReminderStage, upcoming: NextService) -> None:
    due = upcoming.due
    if _zh(car):
        subject = _STAGE_ZH[stage]
        body = f"VIN {car.vin}：下次保养在 {upcoming.due_on.isoformat()} 或 {due.due_km:,} 公里（以先到者为准）。请在“我的车库”预约。"
    else:
        subject = _STAGE_EN[stage]
        body = (
            f"VIN {car.vin}: the next service is due on {upcoming.due_on.isoformat()} or at {due.due_km:,} km, "
            "whichever comes first. Book it from My garage."
        )
    _send(session, car, subject, body)


def send_fault_visit(session: Session, car: OwnedCar, fault: Description) -> None:
    if _zh(car):
        subject = f"请尽快到店检查：{fault.zh}"
        body = f"您的车辆（VIN {car.vin}）报告了故障码 {fault.code}（{fault.zh}）。建议尽快预约维修检查。"
    else:
        subject = f"Please have your car checked: {fault.en}"
        body = f"Your car (VIN {car.vin}) reported fault code {fault.code} ({fault.en}). Book a repair visit soon."
    _send(session, car, subject, body)

"""What an alert says, in English and Chinese: one sentence per kind, from the details the rule recorded.

Pure, so the notice e-mail, the back-office pages and the tests all read the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from forecourt.telematics.fault_codes import describe
from forecourt.telematics.watching.rules import AlertKind

TITLES: dict[str, tuple[str, str]] = {
    AlertKind.GEOFENCE_EXIT: ("Left the area", "驶出电子围栏"),
    AlertKind.OVERSPEED: ("Speeding", "超速"),
    AlertKind.LOW_FUEL: ("Low fuel", "油量低"),
    AlertKind.LOW_CHARGE: ("Low charge", "电量低"),
    AlertKind.FAULT_CODE: ("New fault code", "新故障码"),
    AlertKind.OVERDUE: ("Not back on time", "未按时还车"),
}


@dataclass(frozen=True)
class Words:
    en: str
    zh: str

    def in_language(self, language: str) -> str:
        return self.zh if language.lower().startswith("zh") else self.en


def title(kind: str) -> Words:
    en, zh = TITLES.get(kind, (kind, kind))
    return Words(en, zh)


def sentence(kind: str, details: Mapping[str, object]) -> Words:
    """The alert in a sentence. `details` come from the rule (watching.rules); missing ones read as '?'."""

    def value(name: str) -> str:
        found = details.get(name)
        if isinstance(found, float):
            return f"{found:.0f}"
        return "?" if found is None else str(found)

    match kind:
        case AlertKind.GEOFENCE_EXIT:
            if "radius_m" in details:
                km, radius = _km(details.get("distance_m")), _km(details.get("radius_m"))
                return Words(
                    f"The car is {km} km from the store, outside the {radius} km area.",
                    f"车辆距门店 {km} 公里，已超出 {radius} 公里范围。",
                )
            return Words("The car left the store's area.", "车辆已驶出门店设定的区域。")
        case AlertKind.OVERSPEED:
            speed, limit = value("speed_kmh"), value("limit_kmh")
            return Words(
                f"Driving at {speed} km/h, over the {limit} km/h limit.",
                f"车速 {speed} 公里/小时，超过 {limit} 公里/小时的限速。",
            )
        case AlertKind.LOW_FUEL | AlertKind.LOW_CHARGE:
            what_en, what_zh = ("Fuel", "油量") if kind == AlertKind.LOW_FUEL else ("Charge", "电量")
            level, threshold = value("level_pct"), value("threshold_pct")
            return Words(
                f"{what_en} is at {level} %, below {threshold} %.", f"{what_zh}为 {level}%，低于 {threshold}%。"
            )
        case AlertKind.FAULT_CODE:
            code = str(details.get("code", "?"))
            words = describe(code)
            return Words(f"The car reported {code}: {words.en}.", f"车辆报告故障码 {code}：{words.zh}。")
        case AlertKind.OVERDUE:
            due = value("due_at")
            return Words(
                f"The car was due back by {due} and has not been checked in.", f"车辆应于 {due} 前归还，尚未办理还车。"
            )
    return Words(kind, kind)


def for_people(kind: str, details: Mapping[str, object], zone: ZoneInfo) -> dict[str, object]:
    """The details with times in the store's zone, as a person reads them (the rule records UTC)."""
    shown = dict(details)
    due = details.get("due_at")
    if kind == AlertKind.OVERDUE and isinstance(due, str):
        shown["due_at"] = datetime.fromisoformat(due).astimezone(zone).strftime("%Y-%m-%d %H:%M")
    return shown


def _km(metres: object) -> str:
    if not isinstance(metres, int | float):
        return "?"
    return f"{metres / 1000:.1f}"

"""The back-office form that opens a recall campaign, read and checked (pure: no web, no ORM).

Staff paste a maker's notice: the VIN list as it comes (one per line, or separated by commas, semicolons, spaces or
Chinese commas), a VIN range as its two ends, or a model with its first and last model year. Only the fields of the
chosen kind are read; the others are kept in the form but ignored. Every problem is (field, message key of
`messages.MESSAGES`, detail), so the page shows each one beside its field in the page's language. The same limits as
the API (`schemas.CampaignIn`); the target's own rules are `targeting.target_issues`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from forecourt.ownership.recalls.targeting import RecallTarget, TargetKind, normal_vins, target_issues

FIELDS = (
    "code",
    "title_en",
    "title_zh",
    "remedy_en",
    "remedy_zh",
    "target",
    "vins",
    "vin_from",
    "vin_to",
    "model_code",
    "year_from",
    "year_to",
)
MAX_VINS = 10_000  # as the API's CampaignIn
VINS_TEXT_LIMIT = MAX_VINS * 19 + 1  # 17 characters and a separator each, and one more: too many is then reported
# How much of each posted field is read: one character past the limit, so "too long" is told apart from "just right".
FIELD_LIMITS = {"remedy_en": 2001, "remedy_zh": 2001, "vins": VINS_TEXT_LIMIT}
TEXT_LIMIT = 201  # titles (200), and the short fields
YEARS = (1990, 2100)

_CODE = re.compile(r"[A-Za-z0-9_-]{1,20}")
_MODEL = re.compile(r"[a-z0-9][a-z0-9._-]{0,39}")
_SEPARATORS = re.compile(r"[\s,;，、；]+")
Issue = tuple[str, str, str]


@dataclass(frozen=True)
class CampaignForm:
    code: str
    title_en: str
    title_zh: str
    remedy_en: str
    remedy_zh: str
    target: RecallTarget


def split_vins(text: str) -> frozenset[str]:
    """The VINs of a pasted list, upper-cased, each once."""
    return normal_vins(_SEPARATORS.split(text))


def read_form(values: Mapping[str, str]) -> tuple[CampaignForm | None, list[Issue]]:
    """The campaign the form describes, or None and every problem found."""
    issues: list[Issue] = []
    code = values.get("code", "").strip()
    if not _CODE.fullmatch(code):
        issues.append(("code", "code", ""))
    titles = {name: values.get(name, "").strip() for name in ("title_en", "title_zh")}
    issues += [(name, "title", "") for name, title in titles.items() if not 1 <= len(title) <= 200]
    remedies = {name: values.get(name, "").strip() for name in ("remedy_en", "remedy_zh")}
    issues += [(name, "remedy", "") for name, remedy in remedies.items() if len(remedy) > 2000]
    target, target_problems = _target(values)
    issues += target_problems
    if issues or target is None:
        return None, issues
    return CampaignForm(
        code, titles["title_en"], titles["title_zh"], remedies["remedy_en"], remedies["remedy_zh"], target
    ), []


def _target(values: Mapping[str, str]) -> tuple[RecallTarget | None, list[Issue]]:
    try:
        kind = TargetKind(values.get("target", "").strip())
    except ValueError:
        return None, [("target", "target", "")]
    if kind == TargetKind.VINS:
        vins = split_vins(values.get("vins", ""))
        if len(vins) > MAX_VINS:
            return None, [("vins", "vins_too_many", "")]
        target = RecallTarget(kind, vins=vins)
    elif kind == TargetKind.VIN_RANGE:
        ends = {name: values.get(name, "").strip().upper() for name in ("vin_from", "vin_to")}
        target = RecallTarget(kind, vin_from=ends["vin_from"], vin_to=ends["vin_to"])
    else:
        model = values.get("model_code", "").strip().lower()
        years: dict[str, int | None] = {}
        issues: list[Issue] = []
        if model and not _MODEL.fullmatch(model):
            issues.append(("model_code", "model", ""))
        for name in ("year_from", "year_to"):
            text = values.get(name, "").strip()
            years[name] = int(text) if text.isascii() and text.isdigit() and len(text) == 4 else None
            if text and (years[name] is None or not YEARS[0] <= (years[name] or 0) <= YEARS[1]):
                issues.append((name, "year", ""))
        if issues:
            return None, issues
        target = RecallTarget(kind, model_code=model, year_from=years["year_from"], year_to=years["year_to"])
    problems = target_issues(target)
    return (None, problems) if problems else (target, [])

"""Campaign use cases: create, change, find; the daily spend import. Session first, may flush, never commits.

UTM values are stored trimmed and lower-cased, so matching an event's `utm_*` against a campaign is
case-insensitive. Target model codes are checked against the catalog (through its service); target cities
are city codes, kept as given (lower-cased).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from forecourt.audit import service as audit
from forecourt.catalog import service as catalog
from forecourt.core.clock import utcnow
from forecourt.core.errors import Conflict, FieldError, InvalidInput, NotFound
from forecourt.core.problem_reports import SHOWN_PROBLEMS, bounded_problem_extra
from forecourt.marketing import campaign_repository as repository
from forecourt.marketing.models import Campaign
from forecourt.marketing.spend_files import SpendRow, parse_spend_csv
from forecourt.marketing.vocabulary import CHANNELS

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign")


@dataclass(frozen=True)
class SpendImport:
    rows: int
    created: int
    replaced: int
    campaigns: list[str]
    total: Decimal


def _money(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(Decimal("0.01"))


def _clean_list(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(v.strip().lower() for v in values if v.strip()))


def _check_targets(session: Session, models: Sequence[str]) -> None:
    unknown = catalog.unknown_model_codes(session, models)
    if unknown:
        raise InvalidInput(
            f"Unknown model code(s): {', '.join(unknown)}",
            code="unknown_model",
            errors=[FieldError("target_models", "no such model", code) for code in unknown],
        )


def _check_dates(starts_on: date, ends_on: date | None) -> None:
    if ends_on is not None and ends_on < starts_on:
        raise InvalidInput(
            "ends_on is before starts_on",
            code="dates_out_of_order",
            errors=[FieldError("ends_on", "must be on or after starts_on")],
        )


def _check_utm_free(session: Session, key: tuple[str, str, str], campaign_id: int | None) -> None:
    holder = repository.get_by_utm(session, key)
    if holder is not None and holder.id != campaign_id:
        raise Conflict(
            f"Campaign {holder.code} already uses utm_source={key[0]}, utm_medium={key[1]}, "
            f"utm_campaign={key[2]}; each campaign needs its own UTM triple",
            code="utm_taken",
            extra={"campaign": holder.code},
        )


def get_campaign(session: Session, code: str, *, for_update: bool = False) -> Campaign:
    campaign = repository.get_by_code(session, code, for_update=for_update)
    if campaign is None:
        raise NotFound(f"No campaign {code!r}", code="campaign_not_found")
    return campaign


def list_campaigns(session: Session, **filters: Any) -> Sequence[Campaign]:
    return repository.list_campaigns(session, **filters)


def spent_by_campaign(session: Session, campaigns: Sequence[Campaign]) -> dict[int, Decimal]:
    return repository.total_spend(session, [c.id for c in campaigns])


def create_campaign(session: Session, data: dict[str, Any], *, actor: int | None) -> Campaign:
    """`data`: the fields of CampaignIn (already shape-checked)."""
    if data["channel"] not in CHANNELS:
        raise InvalidInput(f"Unknown channel {data['channel']!r}", code="unknown_channel")
    code = data["code"].strip().lower()
    if repository.get_by_code(session, code) is not None:
        raise Conflict(f"A campaign with code {code!r} exists already", code="campaign_exists")
    key = tuple(data[name].strip().lower() for name in UTM_FIELDS)
    _check_utm_free(session, key, None)  # type: ignore[arg-type]
    _check_dates(data["starts_on"], data.get("ends_on"))
    models = _clean_list(data.get("target_models") or [])
    _check_targets(session, models)
    now = utcnow()
    campaign = Campaign(
        code=code,
        name=data["name"].strip(),
        channel=data["channel"],
        utm_source=key[0],
        utm_medium=key[1],
        utm_campaign=key[2],
        budget=_money(data["budget"]),
        currency="CNY",
        starts_on=data["starts_on"],
        ends_on=data.get("ends_on"),
        target_models=models,
        target_cities=_clean_list(data.get("target_cities") or []),
        created_at=now,
        updated_at=now,
    )
    session.add(campaign)
    session.flush()
    audit.record(
        session,
        actor,
        "campaign.created",
        "campaign",
        campaign.code,
        None,
        channel=campaign.channel,
        budget=str(campaign.budget),
    )
    return campaign


def update_campaign(session: Session, code: str, changes: dict[str, Any], *, actor: int | None) -> Campaign:
    """`changes`: only the fields the client sent (CampaignPatch with exclude_unset)."""
    campaign = get_campaign(session, code, for_update=True)
    for name in ("name", "channel", "budget", "starts_on"):
        if name in changes and changes[name] is None:
            raise InvalidInput(f"{name} cannot be empty", code="invalid_input", errors=[FieldError(name, "required")])
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    if "budget" in changes:
        changes["budget"] = _money(changes["budget"])
    for name in UTM_FIELDS:
        if name in changes:
            if changes[name] is None:
                raise InvalidInput(f"{name} cannot be empty", errors=[FieldError(name, "required")])
            changes[name] = changes[name].strip().lower()
    key = tuple(changes.get(name, getattr(campaign, name)) for name in UTM_FIELDS)
    _check_utm_free(session, key, campaign.id)  # type: ignore[arg-type]
    _check_dates(changes.get("starts_on", campaign.starts_on), changes.get("ends_on", campaign.ends_on))
    if "target_models" in changes:
        changes["target_models"] = _clean_list(changes["target_models"] or [])
        _check_targets(session, changes["target_models"])
    if "target_cities" in changes:
        changes["target_cities"] = _clean_list(changes["target_cities"] or [])
    changed = {}
    for name, value in changes.items():
        if getattr(campaign, name) != value:
            changed[name] = str(value) if not isinstance(value, list) else value
            setattr(campaign, name, value)
    if changed:
        campaign.updated_at = utcnow()
        session.flush()
        audit.record(session, actor, "campaign.updated", "campaign", campaign.code, None, changes=changed)
    return campaign


def import_spend(session: Session, data: bytes, *, actor: int | None) -> SpendImport:
    """All or nothing: every problem of the file (with line and column) in one InvalidInput, or every row stored.
    A day already imported for a campaign gets the new amount (re-importing a file changes nothing)."""
    rows, problems, code_lines = parse_spend_csv(data)
    ids = repository.ids_by_code(session, {code for _, code in code_lines})
    for line, code in code_lines:
        if code not in ids:
            problems.append((line, "campaign_code", f"no campaign with code {code!r}"))
    if problems:
        problems.sort(key=lambda p: (p[0], p[1] or ""))
        raise InvalidInput(
            f"The spend file has {len(problems)} problem(s); nothing was imported. Fix them and upload it again.",
            code="spend_file_rejected",
            errors=[
                FieldError(f"line {line}" + (f".{column}" if column else ""), reason)
                for line, column, reason in problems[:SHOWN_PROBLEMS]
            ],
            # The first problems and counts per column: a 200,000-row file of bad rows answers a small body.
            extra=bounded_problem_extra(
                problems,
                lambda p: {"line": p[0], "column": p[1], "reason": p[2]},
                lambda p: (_spend_problem_code(*p), p[1]),
            ),
        )
    return _store_spend(session, rows, {row.campaign_code: ids[row.campaign_code] for row in rows}, actor=actor)


def _spend_problem_code(line: int, column: str | None, reason: str) -> str:
    if reason.startswith("no campaign with code"):
        return "unknown_code"
    return "invalid_value" if column else "invalid_row" if line > 1 else "invalid_file"


def _store_spend(session: Session, rows: list[SpendRow], ids: dict[str, int], *, actor: int | None) -> SpendImport:
    existing = repository.spend_days(session, set(ids.values()))
    replaced = sum(1 for row in rows if (ids[row.campaign_code], row.day) in existing)
    repository.upsert_spend(
        session, [{"campaign_id": ids[r.campaign_code], "day": r.day, "amount": r.amount} for r in rows], utcnow()
    )
    total = sum((row.amount for row in rows), Decimal("0.00"))
    result = SpendImport(len(rows), len(rows) - replaced, replaced, sorted(ids), total)
    audit.record(
        session,
        actor,
        "campaign_spend.imported",
        "campaign_spend",
        None,
        None,
        rows=result.rows,
        created=result.created,
        replaced=result.replaced,
        total=str(total),
    )
    return result

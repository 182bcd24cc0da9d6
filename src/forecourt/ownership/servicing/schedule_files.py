"""Service schedule tables as files: CSV and YAML, imported and exported like rate programs (pure).

Reading, writing and the shape of problems are finance.programs.file_formats' (CSV in UTF-8 with a BOM or
GB18030, YAML values read from their raw text, every problem with its line and column), so the back office can
offer schedule files with the same page as rate-program files. One row per model code and powertrain, columns

    model_code, powertrain, first_km, first_months, every_km, every_months

where an empty model code or powertrain means "every" (the default table is two rows: every car, and every
battery-electric car). A file is checked whole: each bad value, and a model/powertrain given twice, is listed with
its line; a table is built only from a file without problems. Export is canonical (sorted by model code then
powertrain, "every" first, fixed column order), so export → import → export gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from forecourt.finance.calc.policy import POWERTRAINS
from forecourt.finance.programs.file_formats import (
    CATALOG_CODE,
    ERROR,
    BadValue,
    Parsed,
    Problem,
    fail,
    int_value,
    read_records,
    text_value,
    write_csv,
    write_yaml,
)
from forecourt.ownership.servicing.messages import MESSAGES
from forecourt.ownership.servicing.schedules import (
    MAX_INTERVAL_KM,
    MAX_INTERVAL_MONTHS,
    PlanKey,
    ScheduleTable,
    ServiceInterval,
    ServicePlan,
)

FILE_KEY = "schedules"  # YAML: `schedules:` followed by a list of rows
SCHEDULE_COLUMNS = ("model_code", "powertrain", "first_km", "first_months", "every_km", "every_months")
SCHEDULE_REQUIRED = ("first_km", "first_months", "every_km", "every_months")
MODEL_CODE_MAX = 40  # as residual files


def _model_code(value: object) -> str:
    text = text_value(value)
    return text if len(text) <= MODEL_CODE_MAX and CATALOG_CODE.fullmatch(text) else fail("model_code")


def _powertrain(value: object) -> str:
    text = text_value(value).lower()
    return text if text in POWERTRAINS else fail("powertrain")


def _whole(high: int, message_key: str) -> Callable[[object], int]:
    def parse(value: object) -> int:
        number = int_value(value)
        return number if 1 <= number <= high else fail(message_key)

    return parse


_CHECKS: dict[str, Callable[[object], Any]] = {
    "model_code": _model_code,
    "powertrain": _powertrain,
    "first_km": _whole(MAX_INTERVAL_KM, "interval_km"),
    "first_months": _whole(MAX_INTERVAL_MONTHS, "interval_months"),
    "every_km": _whole(MAX_INTERVAL_KM, "interval_km"),
    "every_months": _whole(MAX_INTERVAL_MONTHS, "interval_months"),
}


def parse_schedule_row(raw: Mapping[str, object]) -> tuple[ServicePlan | None, list[tuple[str, str]]]:
    """A plan from text (or typed) values, and every (column, message) problem; empty optional cells mean every."""
    problems: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    for name, parse in _CHECKS.items():
        value = raw.get(name)
        try:
            if not isinstance(value, int) and text_value(value) == "":
                if name in SCHEDULE_REQUIRED:
                    raise BadValue("required")
                values[name] = None
                continue
            values[name] = parse(value)
        except BadValue as exc:
            problems.append((name, MESSAGES[exc.message_key]))
    if problems:
        return None, problems
    plan = ServicePlan(
        model_code=values["model_code"],
        powertrain=values["powertrain"],
        first=ServiceInterval(values["first_km"], values["first_months"]),
        recurring=ServiceInterval(values["every_km"], values["every_months"]),
    )
    return plan, []


def parse_schedules(data: bytes, file_format: str) -> Parsed:
    """Every plan of a CSV or YAML file and every problem; FileFormatError for a file that cannot be read at all."""
    records, problems = read_records(data, file_format, FILE_KEY, SCHEDULE_COLUMNS, SCHEDULE_REQUIRED)
    parsed = Parsed(problems=problems)
    first_line: dict[PlanKey, int] = {}
    for line, record in records:
        if ERROR in record:
            parsed.problems.append(Problem(line, None, str(record[ERROR])))
            continue
        plan, found = parse_schedule_row(record)
        key = text_value(record.get("model_code")) if isinstance(record.get("model_code"), str) else ""
        parsed.problems.extend(Problem(line, column, message, key) for column, message in found)
        if plan is None:
            continue
        if plan.key in first_line:
            parsed.problems.append(
                Problem(
                    line, "powertrain", f"{describe_key(plan.key)} is already given on line {first_line[plan.key]}", key
                )
            )
            continue
        first_line[plan.key] = line
        parsed.rows.append((line, plan))
    parsed.sort_problems(SCHEDULE_COLUMNS)
    return parsed


def table_from(parsed: Parsed) -> ScheduleTable:
    """The table a file holds; ValueError when the file had problems (report `parsed.problems` instead)."""
    if parsed.problems:
        raise ValueError(f"the file has {len(parsed.problems)} problem(s); nothing can be imported")
    return ScheduleTable(tuple(plan for _, plan in parsed.rows))


def describe_key(key: PlanKey) -> str:
    return f"{key[0] or 'every model'}, {key[1] or 'every powertrain'}"


# --- writing files --------------------------------------------------------------------------------------------------


def _sorted_plans(plans: Iterable[ServicePlan]) -> list[ServicePlan]:
    return sorted(plans, key=lambda p: (p.model_code or "", p.powertrain or ""))


def _row(plan: ServicePlan) -> dict[str, Any]:
    return {
        "model_code": plan.model_code,
        "powertrain": plan.powertrain,
        "first_km": plan.first.km,
        "first_months": plan.first.months,
        "every_km": plan.recurring.km,
        "every_months": plan.recurring.months,
    }


def format_schedules_csv(plans: Iterable[ServicePlan]) -> bytes:
    rows = ([_row(plan)[c] for c in SCHEDULE_COLUMNS] for plan in _sorted_plans(plans))
    return write_csv(SCHEDULE_COLUMNS, ([("" if v is None else str(v)) for v in row] for row in rows))


def format_schedules_yaml(plans: Iterable[ServicePlan]) -> bytes:
    """Intervals as integers, "every" as null."""
    return write_yaml(FILE_KEY, [_row(plan) for plan in _sorted_plans(plans)])


def format_schedules(plans: Iterable[ServicePlan], file_format: str) -> bytes:
    return format_schedules_yaml(plans) if file_format == "yaml" else format_schedules_csv(plans)

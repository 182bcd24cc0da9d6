"""Schedule tables as CSV and YAML files: canonical round trips and every problem with its line and column."""

from __future__ import annotations

import pytest

from forecourt.finance.programs.file_formats import FileFormatError
from forecourt.ownership.servicing.messages import MESSAGES
from forecourt.ownership.servicing.schedule_files import (
    format_schedules,
    parse_schedule_row,
    parse_schedules,
    table_from,
)
from forecourt.ownership.servicing.schedules import DEFAULT_TABLE, ScheduleTable, ServiceInterval, ServicePlan

TABLE = ScheduleTable(
    (
        *DEFAULT_TABLE.plans,
        ServicePlan("kuga", "phev", ServiceInterval(7_500, 6), ServiceInterval(7_500, 6)),
        ServicePlan("escort", None, ServiceInterval(5_000, 3), ServiceInterval(5_000, 6)),
    )
)


@pytest.mark.parametrize("file_format", ["csv", "yaml"])
def test_export_import_export_is_byte_identical(file_format):
    exported = format_schedules(TABLE.plans, file_format)
    parsed = parse_schedules(exported, file_format)
    assert parsed.problems == []
    assert set(table_from(parsed).plans) == set(TABLE.plans)
    assert format_schedules(table_from(parsed).plans, file_format) == exported


def test_csv_export_is_sorted_with_every_first_and_empty_cells_for_every():
    text = format_schedules(TABLE.plans, "csv").decode("utf-8-sig")
    assert text.splitlines() == [
        "model_code,powertrain,first_km,first_months,every_km,every_months",
        ",,5000,3,10000,6",
        ",bev,10000,12,20000,12",
        "escort,,5000,3,5000,6",
        "kuga,phev,7500,6,7500,6",
    ]


def test_yaml_writes_intervals_as_integers_and_every_as_null():
    text = format_schedules(DEFAULT_TABLE.plans[:1], "yaml").decode()
    assert text == (
        "schedules:\n- model_code: null\n  powertrain: null\n  first_km: 5000\n  first_months: 3\n"
        "  every_km: 10000\n  every_months: 6\n"
    )


def test_every_problem_of_a_csv_file_is_listed_with_its_line_and_column():
    data = (
        b"model_code,powertrain,first_km,first_months,every_km,every_months\n"
        b",,5000,3,10000,6\n"
        b"Kuga!,diesel,0,3,10000,61\n"
        b"focus,,5000,,10000,6\n"
        b",,5000,3,10000,6\n"
        b"mondeo,ice,5000,3\n"
        b"taurus,HEV,5000,3,1.5,6\n"
    )
    parsed = parse_schedules(data, "csv")
    found = [(p.line, p.column, p.message) for p in parsed.problems]
    assert found == [
        (3, "model_code", MESSAGES["model_code"]),
        (3, "powertrain", MESSAGES["powertrain"]),
        (3, "first_km", MESSAGES["interval_km"]),
        (3, "every_months", MESSAGES["interval_months"]),
        (4, "first_months", MESSAGES["required"]),
        (5, "powertrain", "every model, every powertrain is already given on line 2"),
        (6, None, "expected 6 fields, found 4"),
        (7, "powertrain", MESSAGES["powertrain"]),
        (7, "every_km", MESSAGES["whole_number"]),
    ]
    assert [line for line, _ in parsed.rows] == [2]
    with pytest.raises(ValueError, match="9 problem"):
        table_from(parsed)


def test_yaml_problems_name_the_entrys_line():
    data = b"schedules:\n- first_km: 5000\n  first_months: 3\n  every_km: 10000\n  every_months: 6\n- powertrain: bev\n  first_km: 10000\n  first_months: 12\n  every_km: 20000\n  every_months: 100\n  colour: red\n"
    parsed = parse_schedules(data, "yaml")
    assert [(p.line, p.column) for p in parsed.problems] == [(6, "every_months"), (11, "colour")]


def test_powertrain_is_read_case_insensitively_and_empty_cells_mean_every():
    plan, problems = parse_schedule_row(
        {
            "model_code": "",
            "powertrain": "BEV",
            "first_km": "10000",
            "first_months": "12",
            "every_km": "20000",
            "every_months": "12",
        }
    )
    assert problems == [] and plan == DEFAULT_TABLE.plans[1]


def test_a_file_without_the_interval_columns_cannot_be_read():
    with pytest.raises(FileFormatError, match="missing column"):
        parse_schedules(b"model_code,powertrain,first_km\n,,5000\n", "csv")

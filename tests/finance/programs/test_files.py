"""Program and residual files (pure, no database): exact numbers, canonical export, every problem with its line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from forecourt.finance.programs import files, residual_files
from forecourt.finance.programs.demo import demo_programs, demo_residuals
from forecourt.finance.programs.files import ProgramFields
from forecourt.finance.programs.messages import MESSAGES
from forecourt.finance.programs.residual_files import ResidualRow

HEADER = "code,product,name_en,name_zh,term_months,annual_rate,valid_from,valid_to"
GOOD = {
    "code": "loan-36",
    "product": "loan",
    "name_en": "Loan",
    "name_zh": "贷款",
    "term_months": "36",
    "annual_rate": "0.0399",
    "valid_from": "2026-01-01",
    "valid_to": "2027-12-31",
}


def _program(**changes: object) -> ProgramFields:
    program, problems = files.parse_program({**GOOD, **changes})
    assert program is not None and not problems, problems
    return program


def _problems(**changes: object) -> dict[str, str]:
    program, problems = files.parse_program({**GOOD, **changes})
    return dict(problems)


def test_defaults_of_optional_columns():
    program = _program()
    assert program.model_code is None and program.trim_code is None and program.credit_tier == "*"
    assert program.money_factor is None and program.subvention_by == "" and program.fee == Decimal("0.00")
    assert program.annual_rate == Decimal("0.0399") and program.valid_to == date(2027, 12, 31)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"annual_rate": "1"}, "annual_rate", MESSAGES["rate"]),
        ({"annual_rate": "-0.01"}, "annual_rate", MESSAGES["rate"]),
        ({"annual_rate": "0.0399999"}, "annual_rate", MESSAGES["rate_places"]),
        ({"annual_rate": "3.99%"}, "annual_rate", MESSAGES["number"]),
        ({"annual_rate": "NaN"}, "annual_rate", MESSAGES["number"]),
        ({"annual_rate": ""}, "annual_rate", MESSAGES["required"]),
        ({"term_months": "0"}, "term_months", MESSAGES["term"]),
        ({"term_months": "121"}, "term_months", MESSAGES["term"]),
        ({"term_months": "36.0"}, "term_months", MESSAGES["whole_number"]),
        ({"product": "mortgage"}, "product", MESSAGES["product"]),
        ({"code": "Loan 36"}, "code", MESSAGES["code"]),
        ({"money_factor": "0.0015"}, "money_factor", MESSAGES["money_factor_lease_only"]),
        ({"product": "lease"}, "money_factor", MESSAGES["money_factor_needed"]),
        ({"product": "lease", "money_factor": "0"}, "money_factor", MESSAGES["money_factor"]),
        ({"max_balloon_percent": "0.4"}, "max_balloon_percent", MESSAGES["balloon_only"]),
        ({"product": "balloon"}, "max_balloon_percent", MESSAGES["balloon_needed"]),
        (
            {"product": "balloon", "max_balloon_percent": "0.5", "min_down_percent": "0.6"},
            "max_balloon_percent",
            MESSAGES["down_plus_balloon"],
        ),
        ({"min_down_percent": "1.2"}, "min_down_percent", MESSAGES["percent"]),
        ({"min_down_percent": "0.12345"}, "min_down_percent", MESSAGES["percent"]),
        ({"subvention_rate": "0.02"}, "subvention_by", MESSAGES["subvention_who"]),
        ({"subvention_by": "oem"}, "subvention_by", MESSAGES["subvention_none"]),
        ({"subvention_by": "bank"}, "subvention_by", MESSAGES["subvention_by"]),
        ({"fee": "10.001"}, "fee", MESSAGES["money"]),
        ({"fee": "-1"}, "fee", MESSAGES["money"]),
        ({"purchase_price": "1"}, "purchase_price", MESSAGES["purchase_price_lto_only"]),
        ({"disposition_fee": "2000"}, "disposition_fee", MESSAGES["disposition_fee_lease_only"]),
        ({"valid_from": "2026-02-30"}, "valid_from", MESSAGES["date"]),
        ({"valid_from": "2028-01-01"}, "valid_to", MESSAGES["date_order"]),
        ({"trim_code": "escort-15l-mt-comfort"}, "trim_code", MESSAGES["trim_needs_model"]),
        ({"credit_tier": "A+"}, "credit_tier", MESSAGES["tier"]),
        ({"annual_rate": 0.0399}, "annual_rate", MESSAGES["number"]),  # a float has lost exactness already
    ],
)
def test_each_rule_has_a_readable_message(changes, field, message):
    assert _problems(**changes).get(field) == message


@pytest.mark.parametrize(
    "changes",
    [
        {"annual_rate": "0"},
        {"annual_rate": "0.999999"},
        {"term_months": "1"},
        {"term_months": "120"},
        {"valid_from": "2027-12-31"},
        {"min_down_percent": "1"},
        {"product": "lease", "money_factor": "0.00150000", "disposition_fee": "2000.00"},
        {"product": "balloon", "max_balloon_percent": "0.4", "min_down_percent": "0.6"},
        {"product": "lease_to_own", "purchase_price": "1"},
        {"subvention_rate": "0.0499", "subvention_by": "OEM"},
    ],
)
def test_boundaries_are_accepted(changes):
    assert _problems(**changes) == {}


def test_csv_round_trip_is_byte_for_byte_stable():
    exported = files.format_programs(demo_programs(), "csv")
    parsed = files.parse_programs(exported, "csv")
    assert parsed.problems == []
    assert [p for _, p in parsed.rows] == sorted(demo_programs(), key=lambda p: p.code)
    assert files.format_programs([p for _, p in parsed.rows], "csv") == exported
    assert exported.startswith("\ufeffcode,product,".encode())
    assert "福睿斯 36期弹性尾款".encode() in exported


def test_yaml_round_trip_is_byte_for_byte_stable():
    exported = files.format_programs(demo_programs(), "yaml")
    parsed = files.parse_programs(exported, "yaml")
    assert parsed.problems == []
    assert files.format_programs([p for _, p in parsed.rows], "yaml") == exported
    assert b"annual_rate: '0.0499'" in exported and b"credit_tier: '*'" in exported


def test_residual_round_trips():
    for fmt in ("csv", "yaml"):
        exported = residual_files.format_residuals(demo_residuals(), fmt)
        parsed = residual_files.parse_residuals(exported, fmt)
        assert parsed.problems == [], fmt
        assert residual_files.format_residuals([r for _, r in parsed.rows], fmt) == exported


def test_yaml_numbers_are_read_from_their_text_never_through_a_float():
    text = (
        "programs:\n- code: loan-36\n  product: loan\n  name_en: Loan\n  name_zh: 贷款\n  term_months: 36\n"
        "  annual_rate: 0.0399\n  fee: 1234.10\n  valid_from: 2026-01-01\n  valid_to: 2027-12-31\n"
    )
    parsed = files.parse_programs(text.encode(), "yaml")
    assert parsed.problems == []
    program = parsed.rows[0][1]
    assert program.annual_rate.as_tuple() == Decimal("0.0399").as_tuple() and program.fee == Decimal("1234.10")


def test_gb18030_csv_and_lowercase_header_with_spaces():
    data = f"{HEADER.upper().replace(',', ', ')}\nloan-36,loan,Loan,福特贷款,36,0.0399,2026-01-01,2027-12-31\n"
    parsed = files.parse_programs(data.encode("gb18030"), "csv")
    assert parsed.problems == [] and parsed.rows[0][1].name_zh == "福特贷款"


def test_a_bad_csv_reports_every_problem_with_line_column_and_code():
    data = (
        f"{HEADER},money_factor\n"
        "loan-36,loan,Loan,贷款,36,0.0399,2026-01-01,2027-12-31,\n"
        "loan-48,loan,Loan,贷款,480,1.5,2026-01-01,2027-12-31,\n"
        "\n"
        "lease-36,lease,Lease,租赁,36,0.036,2026-01-01,2025-12-31,\n"
        "loan-36,loan,Loan,贷款,36,0.0399,2026-01-01,2027-12-31,\n"
        "short,loan\n"
    )
    parsed = files.parse_programs(data.encode(), "csv")
    found = [(p.line, p.column, p.key) for p in parsed.problems]
    assert found == [
        (3, "term_months", "loan-48"),
        (3, "annual_rate", "loan-48"),
        (5, "money_factor", "lease-36"),
        (5, "valid_to", "lease-36"),
        (6, "code", "loan-36"),
        (7, None, ""),
    ]
    assert "already given on line 2" in parsed.problems[4].message
    assert "expected 9 fields, found 2" in parsed.problems[5].message


def test_a_quoted_csv_field_over_two_lines_keeps_the_line_numbers_right():
    data = (
        f"{HEADER}\n"
        'loan-12,loan,"Loan\nover two lines",贷款,12,0.0399,2026-01-01,2027-12-31\n'
        "loan-24,loan,Loan,贷款,24,2,2026-01-01,2027-12-31\n"
    )
    parsed = files.parse_programs(data.encode(), "csv")
    assert [(p.line, p.column) for p in parsed.problems] == [(4, "annual_rate")]


def test_a_bad_yaml_file_reports_lines_of_its_entries_and_values():
    data = (
        "programs:\n"
        "- code: loan-36\n  product: loan\n  name_en: Loan\n  name_zh: 贷款\n  term_months: 36\n"
        "  annual_rate: 0.0399\n  valid_from: 2026-01-01\n  valid_to: 2027-12-31\n  colour: red\n"
        "- code: loan-48\n  product: loan\n  name_en: [Loan]\n  name_zh: 贷款\n  term_months: 48\n"
        "  annual_rate: '0.5.1'\n  valid_from: 2026-01-01\n  valid_to: 2027-12-31\n"
        "- just text\n"
    )
    parsed = files.parse_programs(data.encode(), "yaml")
    assert [(p.line, p.column) for p in parsed.problems] == [
        (10, "colour"),
        (11, "name_en"),
        (11, "annual_rate"),
        (19, None),
    ]


@pytest.mark.parametrize(
    ("data", "fmt", "words"),
    [
        (b"", "csv", "empty"),
        (b"code,product,rate\n", "csv", "unknown column(s) 'rate'"),
        (b"code,code\n", "csv", "given twice"),
        (b"PK\x03\x04 workbook", "csv", "spreadsheet"),
        (b"programs: [\n", "yaml", "not valid YAML"),
        (b"rates: []\n", "yaml", "only `programs:`"),
        (b"programs: 3\n", "yaml", "must be a list"),
        (b"", "yaml", "empty"),
    ],
)
def test_unreadable_files(data, fmt, words):
    with pytest.raises(files.FileFormatError) as raised:
        files.parse_programs(data, fmt)
    assert words in str(raised.value)


def test_residual_problems_include_every_inversion_and_duplicate():
    data = (
        "model_code,term_months,annual_mileage,residual_percent\n"
        "escort,36,10000,0.50\nescort,36,20000,0.52\nescort,36,30000,0.53\n"
        "escort,36,10000,0.49\nfocus,36,10000,1\nfocus,0,10000,0.5\n"
    )
    parsed = residual_files.parse_residuals(data.encode(), "csv")
    assert [(p.line, p.column) for p in parsed.problems] == [
        (3, "residual_percent"),
        (4, "residual_percent"),
        (5, "annual_mileage"),
        (6, "residual_percent"),
        (7, "term_months"),
    ]
    assert (
        "20,000 km a year has a higher residual (0.52) than 10,000 km a year (0.5) on line 2"
        in parsed.problems[0].message
    )


def test_detect_format():
    assert files.detect_format(None, "programs.YML") == "yaml"
    assert files.detect_format(None, "x", "text/csv") == "csv"
    assert files.detect_format("yaml", "x.csv") == "yaml"
    with pytest.raises(files.FileFormatError):
        files.detect_format(None, "programs.xlsx")


def test_demo_programs_pass_every_rule():
    for program in demo_programs():
        assert files.check_program(program) == [], program.code
    assert ResidualRow("escort", 24, 10_000, Decimal("0.58")) in demo_residuals()
    assert residual_files.mileage_inversions(demo_residuals()) == []


# --- hostile files --------------------------------------------------------------------------------------------------

DEEP_FLOW = b"programs: " + b"[" * 5000 + b"]" * 5000
DEEP_BLOCK = b"residuals:\n" + b"".join(b"  " * i + b"- \n" for i in range(3000))


@pytest.mark.parametrize(
    ("data", "parse"), [(DEEP_FLOW, files.parse_programs), (DEEP_BLOCK, residual_files.parse_residuals)]
)
def test_deeply_nested_yaml_is_a_file_error_with_its_line_not_a_recursion_error(data, parse):
    with pytest.raises(files.FileFormatError, match="nested more than 20 levels deep") as raised:
        parse(data, "yaml")
    assert raised.value.line == (1 if data is DEEP_FLOW else 21)


def test_nesting_up_to_the_bound_is_read():
    def nested(levels: int) -> bytes:  # the document, programs:'s list and its entry are 3 levels; the scalar 1 more
        return f"programs:\n  - code: {'[' * levels}x{']' * levels}\n".encode()

    parsed = files.parse_programs(nested(16), "yaml")  # 20 levels
    assert "code" in [p.column for p in parsed.problems]  # "a single value here", reported with its column
    with pytest.raises(files.FileFormatError, match="nested more than 20 levels deep"):
        files.parse_programs(nested(17), "yaml")


@pytest.mark.parametrize(("text", "message"), [("1999-12-31", "date_window"), ("2101-01-01", "date_window")])
def test_file_dates_outside_the_window_say_so(text, message):
    with pytest.raises(ValueError, match="2000-01-01 to 2100-12-31"):
        files.parse_iso_date(text)
    assert files.parse_iso_date("2000-01-01") == date(2000, 1, 1)
    assert files.parse_iso_date("2100-12-31") == date(2100, 12, 31)

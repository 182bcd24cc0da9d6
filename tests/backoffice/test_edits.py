"""The pure checks behind the back office's edit forms."""

from __future__ import annotations

from decimal import Decimal

import pytest

from forecourt.catalog import edits


@pytest.mark.parametrize(
    ("value", "expected", "problem"),
    [
        ("", None, None),
        (None, None, None),
        ("169,800.00", Decimal("169800.00"), None),
        (Decimal("1000"), Decimal("1000.00"), None),
        ("179800", Decimal("179800.00"), None),
        ("179800.01", Decimal("179800.01"), edits.MSG_OFFER_ABOVE_LIST),
        ("0", Decimal("0.00"), edits.MSG_OFFER_POSITIVE),
        ("1.234", None, edits.MSG_AMOUNT),
        ("abc", None, edits.MSG_AMOUNT),
        ("NaN", None, edits.MSG_AMOUNT),
        ("1,23", None, edits.MSG_AMOUNT),
    ],
)
def test_offer(value, expected, problem):
    problems: list = []
    assert edits.parse_offer(value, Decimal("179800.00"), "CNY", problems) == expected
    assert problems == ([("offer_price", problem)] if problem else [])


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("0", True),
        ("12,000", True),
        (15, True),
        ("-1", False),
        ("1.5", False),
        ("", False),
        (True, False),
        ("3000000", False),
    ],
)
def test_mileage(value, ok):
    problems: list = []
    edits.parse_mileage(value, problems)
    assert (not problems) is ok


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("https://img.example/a.jpg\n\n/static/photos/b.jpg", True),
        ("http://x.example/a.jpg", True),
        ("ftp://x.example/a.jpg", False),
        ("//evil.example/a.jpg", False),
        ("javascript:alert(1)", False),
        ("https://", False),
        ("/a b.jpg", False),
    ],
)
def test_photos(text, ok):
    problems: list = []
    edits.parse_photos(text, problems)
    assert (not problems) is ok


def _day(*pairs):
    return {"mon": list(pairs)}


@pytest.mark.parametrize(
    ("pairs", "problem", "stored"),
    [
        ((("09:00", "18:00"), ("", "")), None, [["09:00", "18:00"]]),
        ((("13:00", "18:00"), ("09:00", "12:00")), None, [["09:00", "12:00"], ["13:00", "18:00"]]),
        ((("09:00", "12:00"), ("12:00", "18:00")), None, [["09:00", "12:00"], ["12:00", "18:00"]]),
        ((("", ""), ("", "")), None, []),
        ((("09:00", "13:00"), ("12:00", "18:00")), edits.MSG_OVERLAP, None),
        ((("18:00", "09:00"),), edits.MSG_OPEN_BEFORE_CLOSE, None),
        ((("09:00", "09:00"),), edits.MSG_OPEN_BEFORE_CLOSE, None),
        ((("9:00", "18:00"),), edits.MSG_CLOCK, None),
        ((("24:00", "25:00"),), edits.MSG_CLOCK, None),
        ((("09:00", ""),), edits.MSG_INCOMPLETE, None),
    ],
)
def test_opening_hours(pairs, problem, stored):
    problems: list = []
    hours = edits.parse_opening_hours(_day(*pairs), problems)
    assert problems == ([("hours.mon", problem)] if problem else [])
    if stored is not None:
        assert hours["mon"] == stored and hours["sun"] == []


def test_unknown_day_and_phone():
    problems: list = []
    edits.parse_opening_hours({"funday": [("09:00", "10:00")]}, problems)
    assert problems == [("hours.funday", edits.MSG_DAY)]
    assert edits.parse_phone("  +86 20  1234-5678 ", problems) == "+86 20 1234-5678"
    edits.parse_phone("call me", problems)
    assert problems[-1] == ("phone", edits.MSG_PHONE)

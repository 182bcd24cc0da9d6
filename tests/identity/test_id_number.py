"""PRC resident ID numbers (GB 11643-1999): decoding, messages that say what to fix, and the check character."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forecourt.identity.id_number import (
    PROVINCE_CODES,
    IdNumberError,
    ResidentId,
    check_character,
    mask_id_number,
    parse_resident_id,
)

TODAY = date(2026, 12, 1)
# ISO 7064 MOD 11-2 written out independently: weight of position i (from the right, check = 1) is 2^(i-1) mod 11.
REFERENCE_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]


def reference_check(body: str) -> str:
    remainder = sum(int(d) * w for d, w in zip(body, REFERENCE_WEIGHTS, strict=True)) % 11
    value = (12 - remainder) % 11
    return "X" if value == 10 else str(value)


def parse(text: str) -> ResidentId:
    return parse_resident_id(text, today=TODAY)


def test_the_well_known_sample_decodes():
    assert parse("11010519491231002X") == ResidentId("11010519491231002X", "110105", date(1949, 12, 31), "female")


@pytest.mark.parametrize(
    ("text", "number", "born", "sex"),
    [
        ("440106199003071231", "440106199003071231", date(1990, 3, 7), "male"),
        ("440106199208151235", "440106199208151235", date(1992, 8, 15), "male"),
        ("11010519491231002x", "11010519491231002X", date(1949, 12, 31), "female"),  # lower-case x
        (" 110105 19491231 002X ", "11010519491231002X", date(1949, 12, 31), "female"),  # pasted with spaces
    ],
)
def test_valid_numbers(text, number, born, sex):
    resident = parse(text)
    assert (resident.number, resident.birth_date, resident.sex) == (number, born, sex)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("11010519491231002", "must have 18 characters, got 17"),
        ("11010519491231002XX", "must have 18 characters, got 19"),
        ("", "must have 18 characters, got 0"),
        ("1101051949123100AX", "characters 1-17 of the ID number must be digits"),
        ("11010519491231002Y", "last character must be a digit or X, not Y"),
        ("110105194912310025", "the check character should be X, not 5"),
        ("990105194912310020", "must start with a province code"),
        ("010105194912310020", "must start with a province code"),
        ("440106199902301234", "must be a valid birth date (YYYYMMDD), got 19990230"),
        ("440106199913011234", "must be a valid birth date (YYYYMMDD), got 19991301"),
        ("440106189912311234", "birth date before 1900"),
    ],
)
def test_invalid_numbers_say_what_is_wrong(text, message):
    with pytest.raises(IdNumberError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(text)


def test_birth_date_in_the_future_is_refused_but_today_is_not():
    tomorrow, today = TODAY + timedelta(days=1), TODAY
    body_tomorrow, body_today = f"110105{tomorrow:%Y%m%d}001", f"110105{today:%Y%m%d}001"
    with pytest.raises(IdNumberError, match="in the future"):
        parse(body_tomorrow + check_character(body_tomorrow))
    assert parse(body_today + check_character(body_today)).birth_date == today


def test_id_number_error_is_a_value_error():
    assert issubclass(IdNumberError, ValueError)


@pytest.mark.parametrize("body", ["a" * 17, "1" * 16, "1" * 18, "１" * 17])
def test_check_character_needs_17_ascii_digits(body):
    with pytest.raises(IdNumberError):
        check_character(body)


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("11010519491231002X", "1****************X"),
        ("440106199003071231", "4****************1"),
        ("123", "1*3"),
        ("12", "**"),
    ],
)
def test_mask_keeps_the_first_and_last_character(number, masked):
    assert mask_id_number(number) == masked
    assert len(mask_id_number(number)) == len(number)


bodies = st.builds(
    lambda province, rest, born, sequence: f"{province}{rest}{born:%Y%m%d}{sequence}",
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.text("0123456789", min_size=4, max_size=4),
    st.dates(date(1900, 1, 1), TODAY),
    st.text("0123456789", min_size=3, max_size=3),
)


@given(bodies)
def test_any_valid_body_with_its_check_character_parses(body):
    check = check_character(body)
    assert check == reference_check(body)
    resident = parse(body + check)
    assert resident.number == body + check
    assert resident.sex == ("male" if int(body[16]) % 2 else "female")


@given(bodies, st.integers(0, 16), st.integers(1, 9))
def test_changing_any_single_digit_breaks_the_check(body, position, shift):
    changed = body[:position] + str((int(body[position]) + shift) % 10) + body[position + 1 :]
    assert check_character(changed) != check_character(body)
    with pytest.raises(IdNumberError):
        parse(changed + check_character(body))


@given(bodies, st.sampled_from("0123456789X"))
def test_a_wrong_check_character_is_refused(body, wrong):
    if wrong == check_character(body):
        return
    with pytest.raises(IdNumberError, match=f"should be {check_character(body)}, not {wrong}"):
        parse(body + wrong)

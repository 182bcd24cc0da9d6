"""A new fault code of a severe class suggests a visit at once; a known one does not suggest it again."""

from __future__ import annotations

from forecourt.ownership.servicing.fault_visits import severe_new_faults


def codes(descriptions) -> list[str]:
    return [d.code for d in descriptions]


def test_a_new_severe_code_suggests_a_visit_with_its_words():
    (fault,) = severe_new_faults(previous_codes=["P0420"], current_codes=["P0420", "P0217"])
    assert (fault.code, fault.severe, fault.en, fault.zh) == ("P0217", True, "Engine overheating", "发动机过热")


def test_a_severe_code_the_car_keeps_reporting_is_not_new():
    assert severe_new_faults(["P0300"], ["P0300"]) == ()


def test_a_new_code_that_is_not_severe_suggests_nothing():
    assert severe_new_faults([], ["P0420", "P1234", "U3001"]) == ()


def test_codes_are_compared_as_sent_trimmed_and_upper_cased_and_sorted():
    assert codes(severe_new_faults([" p0301"], ["P0301", "b0001 ", "c0265", ""])) == ["B0001", "C0265"]


def test_a_code_that_cleared_and_came_back_is_new_again():
    assert codes(severe_new_faults([], ["U0100"])) == ["U0100"]
    assert severe_new_faults(["U0100"], []) == ()
    assert codes(severe_new_faults([], ["U0100"])) == ["U0100"]

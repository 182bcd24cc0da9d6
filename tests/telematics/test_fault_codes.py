"""Every fault code reads as words in both languages."""

from __future__ import annotations

import pytest

from forecourt.telematics.fault_codes import SEVERE, describe


@pytest.mark.parametrize(
    ("code", "en", "zh", "severe"),
    [
        ("P0301", "Cylinder 1 misfire", "第 1 缸缺火", True),
        ("P0420", "Catalytic converter efficiency below threshold", "三元催化器效率低于阈值", False),
        ("P1234", "Maker-specific fault in the engine or transmission", "发动机或变速箱的厂家专用故障", False),
        ("B3ABC", "Maker-specific fault in the body (airbags, seats, lights, climate)", None, False),
        ("C2000", "Fault in the chassis (brakes, steering, suspension)", "底盘（制动、转向、悬架）故障", False),
        ("U0999", "Fault in the communication between the car's control units", None, False),
    ],
)
def test_known_generic_and_maker_codes(code: str, en: str, zh: str | None, severe: bool) -> None:
    words = describe(code)
    assert (words.en, words.severe) == (en, severe)
    if zh is not None:
        assert words.zh == zh


def test_every_severe_code_has_its_own_words() -> None:
    assert all(not describe(code).en.startswith(("Fault in", "Maker-specific")) for code in SEVERE)

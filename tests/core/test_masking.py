"""Masks for ID numbers, phones, names and incomes, and redaction of the same in log records."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from decimal import Decimal

import pytest

from forecourt.core.masking import (
    RedactingFilter,
    install_log_redaction,
    mask_amount_band,
    mask_id_number,
    mask_name,
    mask_phone,
    redact,
)

ID_NUMBER = "11010519491231002X"
ID_MASK = "1****************X"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (ID_NUMBER, ID_MASK),
        ("11010519491231002x", ID_MASK),
        ("110105 19491231 002X", ID_MASK),
        ("440524188001010014", "4****************4"),
        ("110105491231002", "1*************2"),  # first-generation 15-digit number
        ("E12345678", "E*****678"),  # passport
        ("G1234567", "G****567"),
        ("AB12", "****"),
        ("", ""),
    ],
)
def test_mask_id_number(text: str, masked: str) -> None:
    assert mask_id_number(text) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("13800138000", "138****8000"),
        ("+86 138 0013 8000", "138****8000"),
        ("138-0013-8000", "138****8000"),
        ("010-62345678", "*******5678"),
        ("62345678", "****5678"),
        ("12345", "*****"),
        ("", ""),
    ],
)
def test_mask_phone(text: str, masked: str) -> None:
    assert mask_phone(text) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("李明", "李*"),
        ("李小明", "李**"),
        ("欧阳娜娜", "欧阳**"),
        ("欧阳震", "欧阳*"),
        ("欧阳", "欧*"),
        ("诸葛亮", "诸葛*"),
        ("李", "*"),
        ("  王芳 ", "王*"),
        ("John Smith", "J***"),
        ("Al", "A***"),
        ("", ""),
    ],
)
def test_mask_name(text: str, masked: str) -> None:
    assert mask_name(text) == masked


@pytest.mark.parametrize(
    ("amount", "band"),
    [
        ("0", "CNY under 5,000 / month"),
        ("4999.99", "CNY under 5,000 / month"),
        ("5000.00", "CNY 5,000–10,000 / month"),
        ("15000.50", "CNY 10,000–20,000 / month"),
        ("19999.99", "CNY 10,000–20,000 / month"),
        ("20000", "CNY 20,000–30,000 / month"),
        ("45000", "CNY 30,000–50,000 / month"),
        ("99999.99", "CNY 50,000–100,000 / month"),
        ("100000", "CNY 100,000+ / month"),
        ("2500000", "CNY 100,000+ / month"),
    ],
)
def test_mask_amount_band(amount: str, band: str) -> None:
    assert mask_amount_band(Decimal(amount)) == band


def test_mask_amount_band_currency_and_bad_amounts() -> None:
    assert mask_amount_band(Decimal("12000"), currency="USD") == "USD 10,000–20,000 / month"
    for bad in (Decimal("-1"), Decimal("NaN"), 12000.0):
        with pytest.raises(ValueError, match="non-negative Decimal"):
            mask_amount_band(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        (f"id={ID_NUMBER}.", f"id={ID_MASK}."),
        (f"ID{ID_NUMBER}", f"ID{ID_MASK}"),
        ("call 13800138000 now", "call 138****8000 now"),
        ("card 6222021234567890123", "card ***************0123"),
        ("card 6222 0212 3456 7890", "card 6222 0212 3456 7890"),  # spaced groups are not one run
        ("card 4111111111111111", "card ************1111"),
        ("order 12345678901 and 1234567", "order 12345678901 and 1234567"),  # 11 digits but not a mobile
        ("ts 1700000000000", "ts 1700000000000"),
        ("20 digits 12345678901234567890", "20 digits 12345678901234567890"),
    ],
)
def test_redact_free_text(text: str, redacted: str) -> None:
    assert redact(text) == redacted


@pytest.fixture
def redacted_logger() -> Iterator[logging.Logger]:
    original_factory = logging.getLogRecordFactory()
    install_log_redaction("forecourt.test_masking")
    yield logging.getLogger("forecourt.test_masking.child")
    logging.setLogRecordFactory(original_factory)


def test_log_redaction_of_message_and_args(redacted_logger: logging.Logger, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        redacted_logger.info(f"applicant {ID_NUMBER} phone %s", "13800138000")
        redacted_logger.info("applicant %s", ID_NUMBER)
        redacted_logger.info("applicant %d", 110105194912310023)
        redacted_logger.info("applicant %(id)s", {"id": ID_NUMBER})
    assert [record.getMessage() for record in caplog.records] == [
        f"applicant {ID_MASK} phone 138****8000",
        f"applicant {ID_MASK}",
        "applicant 1****************3",
        f"applicant {ID_MASK}",
    ]
    assert ID_NUMBER not in caplog.text and "13800138000" not in caplog.text


def test_log_redaction_of_tracebacks(redacted_logger: logging.Logger, caplog: pytest.LogCaptureFixture) -> None:
    try:
        raise ValueError(f"no applicant with ID {ID_NUMBER}")
    except ValueError:
        redacted_logger.exception("lookup failed")
    assert ID_NUMBER not in caplog.text and ID_MASK in caplog.text


def test_log_redaction_leaves_other_loggers_alone(redacted_logger: logging.Logger) -> None:
    """The record factory redacts its own scope only; other loggers' records are masked later, by the filter on
    the handlers (core/logging_setup.py), so their own formatters still see their arguments."""
    make_record = logging.getLogRecordFactory()
    other = make_record("elsewhere.test_masking_other", logging.INFO, __file__, 1, "applicant %s", (ID_NUMBER,), None)
    mine = make_record("forecourt.test_masking.x", logging.INFO, __file__, 1, "applicant %s", (ID_NUMBER,), None)
    assert other.getMessage() == f"applicant {ID_NUMBER}" and other.args == (ID_NUMBER,)
    assert mine.getMessage() == f"applicant {ID_MASK}" and mine.args is None


def test_install_twice_wraps_once(redacted_logger: logging.Logger) -> None:
    factory = logging.getLogRecordFactory()
    install_log_redaction("forecourt.test_masking")
    assert logging.getLogRecordFactory() is factory


def test_redacting_filter_on_a_handler(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("forecourt.test_masking_filter")
    caplog.handler.addFilter(redacting := RedactingFilter())
    try:
        with caplog.at_level(logging.INFO):
            logger.info("applicant %s called from %s", ID_NUMBER, "13800138000")
            logger.info("broken format %s %s", ID_NUMBER)  # must not leak through logging's error report
    finally:
        caplog.handler.removeFilter(redacting)
    assert caplog.records[0].getMessage() == f"applicant {ID_MASK} called from 138****8000"
    assert ID_NUMBER not in caplog.records[1].getMessage()
    assert caplog.records[0].args is None


def test_redacting_filter_masks_stack_info() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, sys.exc_info(), sinfo=f"at {ID_NUMBER}")
    assert RedactingFilter().filter(record) is True
    assert record.stack_info == f"at {ID_MASK}"

"""The quote PDF: a valid PDF whose text (extracted here without a PDF library: the content streams are
inflated and the embedded font's ToUnicode map decodes the glyph codes) holds the APR and the disclosures."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from forecourt.core import clock
from forecourt.finance.quotes.pdf import CJK_FONT, render_quote_pdf
from tests.finance.quotes.helpers import NOW, QUOTES, Lot, make_lot

_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}


@pytest.fixture
def lot(db_session: Session) -> Iterator[Lot]:
    with clock.pinned(NOW):
        yield make_lot(db_session)


def _literal_strings(content: bytes) -> Iterator[bytes]:
    """The (…) strings of a content stream, escapes resolved."""
    i = 0
    while i < len(content):
        if content[i] != ord("("):
            i += 1
            continue
        depth, out, i = 1, bytearray(), i + 1
        while i < len(content) and depth:
            byte = content[i]
            if byte == ord("\\"):
                following = content[i + 1]
                if ord("0") <= following <= ord("7"):
                    digits = re.match(rb"[0-7]{1,3}", content[i + 1 : i + 4]).group()
                    out.append(int(digits, 8) & 0xFF)
                    i += 1 + len(digits)
                    continue
                out.append(_ESCAPES.get(following, following))
                i += 2
                continue
            depth += byte == ord("(")
            depth -= byte == ord(")")
            if depth:
                out.append(byte)
            i += 1
        yield bytes(out)


def pdf_text(data: bytes) -> str:
    cmap: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar\s(.*?)endbfchar", data, re.S):
        for code, char in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            cmap[int(code, 16)] = bytes.fromhex(char.decode()).decode("utf-16-be")
    texts = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            content = zlib.decompress(raw)
        except zlib.error:
            content = raw
        if b" Tj" not in content:
            continue
        for string in _literal_strings(content):
            if cmap:  # two-byte glyph codes of the embedded TrueType subset
                texts.append(
                    "".join(
                        cmap.get(int.from_bytes(string[k : k + 2], "big"), "?") for k in range(0, len(string) - 1, 2)
                    )
                )
            else:
                texts.append(string.decode("latin-1"))
    return "\n".join(texts)


def _loan_reference(client, lot: Lot) -> tuple[str, dict]:
    response = client.post(QUOTES, json={"vin": lot.mondeo.vin, "down_percent": "0.2", "term_months": 36})
    assert response.status_code == 201, response.text
    loan = next(p for p in response.json()["products"] if p["product"] == "loan")
    return loan["reference"], loan


@pytest.mark.skipif(not CJK_FONT.is_file(), reason="the WenQuanYi font is not installed")
def test_the_pdf_is_valid_and_shows_the_apr_in_english_and_chinese(client, lot):
    reference, loan = _loan_reference(client, lot)
    english = client.get(f"{QUOTES}/{reference}.pdf?lang=en")
    assert english.status_code == 200 and english.headers["content-type"] == "application/pdf"
    assert english.content.startswith(b"%PDF-") and english.content.rstrip().endswith(b"%%EOF")
    assert len(english.content) > 5000
    text = pdf_text(english.content)
    assert "Annual percentage rate" in text and f"{loan['apr']}%" in text and reference in text
    assert "Loan disclosure (Loan)" in text and "Lease disclosure" in text and "Federal" not in text
    assert "CNY 4,310.37" in text  # the loan's monthly payment

    chinese = client.get(f"{QUOTES}/{reference}.pdf?lang=zh-Hans")
    text = pdf_text(chinese.content)
    assert "年化百分率（APR）" in text and "综合年化利率" in text and f"{loan['apr']}%" in text


def test_without_the_cjk_font_the_pdf_is_english_only(client, lot):
    reference, loan = _loan_reference(client, lot)
    document = client.get(f"{QUOTES}/{reference}").json()
    data = render_quote_pdf(document, "zh-Hans", font_path=None)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert "English only" in text and "Annual percentage rate" in text and f"{loan['apr']}%" in text


def test_the_pdf_follows_the_quote_access_rule(client, lot):
    response = client.post(
        QUOTES, json={"vin": lot.mondeo.vin, "down_percent": "0.2", "term_months": 36}, headers=lot.shopper
    )
    reference = response.json()["reference"]
    assert client.get(f"{QUOTES}/{reference}.pdf", headers=lot.shopper).status_code == 200
    assert client.get(f"{QUOTES}/{reference}.pdf", headers=lot.other).status_code == 404

"""A printable PDF of a quote comparison (fpdf2): the car, the choices, the products side by side and every
disclosure box, in English or Chinese.

Chinese needs a CJK font: WenQuanYi Micro Hei (`/usr/share/fonts/truetype/wqy/wqy-microhei.ttc`, Debian's
`fonts-wqy-microhei`, installed on the servers and in CI) is embedded as a subset, first face of the collection.
Without it the PDF is written in English with the core Helvetica font and says so at the top.

Input is `documents.comparison_document(...)`: plain strings and numbers, so this module knows nothing of the ORM.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fpdf import FPDF

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
CJK_FAMILY = "wqy"
PAGE_WIDTH = 190  # A4 less 10 mm margins
PRODUCT_NAMES = {
    "cash": ("Cash", "全款"),
    "loan": ("Loan", "贷款"),
    "balloon": ("Balloon loan", "弹性尾款"),
    "lease": ("Lease", "租赁"),
    "lease_to_own": ("Lease-to-own", "直租"),
}
ROWS = (
    ("monthly_payment", "Monthly payment", "月供", "money"),
    ("due_at_signing", "Due at signing", "签约时应付", "money"),
    ("total_cost", "Total cost", "总成本", "money"),
    ("apr", "APR", "年化百分率", "percent"),
    ("annualised_rate", "Annualised rate", "综合年化利率", "percent"),
)
TEXT = {
    "title": ("Finance quote", "金融报价"),
    "vin": ("VIN", "车架号"),
    "store": ("Store", "门店"),
    "price": ("Price", "价格"),
    "created": ("Quoted", "报价时间"),
    "expires": ("Valid until", "有效期至"),
    "choices": ("Your choices", "您的选择"),
    "down": ("Down payment", "首付"),
    "term": ("Term", "期限"),
    "mileage": ("Mileage a year", "年行驶里程"),
    "months": ("months", "个月"),
    "compare": ("Products side by side", "产品对比"),
    "not_offered": ("Not offered", "不提供"),
    "schedule": ("Payment schedule", "还款计划"),
    "reference": ("Quote reference", "报价编号"),
    "program": ("Program", "方案"),
    "expired": ("This quote has expired.", "此报价已过期。"),
    "no_font": ("Chinese font unavailable: this PDF is in English only.", ""),
    "footer": (
        "Figures are estimates until a credit decision; the disclosures above are those of this quote.",
        "在信贷审批前，以上数字为估算；以上披露适用于本报价。",
    ),
}


class _Pdf:
    def __init__(self, lang: str, font_path: Path | None) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.set_margins(10, 10, 10)
        self.pdf.set_auto_page_break(True, margin=12)
        self.pdf.add_page()
        self.cjk = _load_cjk_font(self.pdf, font_path)
        self.zh = lang == "zh-Hans" and self.cjk
        self.family = CJK_FAMILY if self.cjk else "Helvetica"

    def text(self, key: str) -> str:
        en, zh = TEXT[key]
        return zh if self.zh and zh else en

    def pick(self, en: str, zh: str) -> str:
        return zh if self.zh and zh else en

    def label(self, label: dict[str, str]) -> str:
        return self.pick(label.get("en", ""), label.get("zh", ""))

    def font(self, size: float) -> None:
        self.pdf.set_font(self.family, size=size)

    def line(self, text: str, size: float = 10, height: float = 6) -> None:
        self.font(size)
        self.pdf.multi_cell(PAGE_WIDTH, height, self.safe(text), new_x="LMARGIN", new_y="NEXT")

    def pair(self, label: str, value: str, size: float = 9) -> None:
        self.font(size)
        self.pdf.cell(95, 5.5, self.safe(label), border="B")
        self.pdf.cell(95, 5.5, self.safe(value), border="B", align="R", new_x="LMARGIN", new_y="NEXT")

    def safe(self, text: str) -> str:
        """Core fonts only hold Latin-1: drop what they cannot show rather than fail."""
        return text if self.cjk else text.encode("latin-1", "replace").decode("latin-1")


def _load_cjk_font(pdf: FPDF, font_path: Path | None) -> bool:
    if font_path is None or not font_path.is_file():
        return False
    try:
        pdf.add_font(CJK_FAMILY, fname=str(font_path), collection_font_number=0)
    except Exception:  # an unreadable or unexpected font file: fall back to English rather than fail the download
        return False
    return True


def format_money(value: str | Decimal | None, currency: str) -> str:
    if value is None:
        return "—"
    return f"{currency} {Decimal(value):,.2f}"


def _format(value: Any, unit: str, currency: str, doc: _Pdf) -> str:
    if value is None:
        return "—"
    if unit == "money":
        return format_money(value, currency)
    if unit == "percent":
        return f"{value}%"
    if unit == "months":
        return f"{value} {doc.text('months')}"
    if unit == "km":
        return f"{int(value):,} km"
    return str(value)


def _when(moment: datetime | str) -> str:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def render_quote_pdf(document: dict[str, Any], lang: str = "en", font_path: Path | None = CJK_FONT) -> bytes:
    """The PDF of a comparison document, in `lang` ("en" or "zh-Hans")."""
    doc = _Pdf(lang, font_path)
    currency = document["currency"]
    vehicle = document["vehicle"]
    doc.pdf.set_title(f"{TEXT['title'][0]} {document['reference']}")
    doc.pdf.set_creator("Forecourt")
    if not doc.cjk:
        doc.line(doc.text("no_font"), 8)
    doc.line(f"Forecourt · {doc.text('title')} {document['reference']}", 16, 9)
    if document.get("expired"):
        doc.line(doc.text("expired"), 11)
    doc.line(
        f"{doc.pick(vehicle['model_name_en'], vehicle['model_name_zh'])} "
        f"{doc.pick(vehicle['trim_name_en'], vehicle['trim_name_zh'])} · {vehicle['model_year']}",
        12,
        7,
    )
    doc.pair(doc.text("vin"), document["vin"])
    doc.pair(doc.text("store"), doc.pick(vehicle["store_name_en"], vehicle["store_name_zh"]))
    doc.pair(doc.text("price"), format_money(document["price"], currency))
    doc.pair(doc.text("created"), _when(document["created_at"]))
    doc.pair(doc.text("expires"), _when(document["expires_at"]))
    inputs = document["inputs"]
    doc.pdf.ln(3)
    doc.line(doc.text("choices"), 12, 7)
    down = (
        format_money(inputs["down_payment"], currency)
        if inputs.get("down_payment") is not None
        else f"{Decimal(inputs['down_percent']) * 100:.2f}%"
    )
    doc.pair(doc.text("down"), down)
    doc.pair(doc.text("term"), f"{inputs['term_months']} {doc.text('months')}")
    doc.pair(doc.text("mileage"), f"{int(inputs['annual_mileage']):,} km")
    doc.pdf.ln(3)
    _comparison_table(doc, document["products"], currency)
    for product in document["products"]:
        _product_section(doc, product, currency)
    doc.pdf.ln(4)
    doc.line(doc.text("footer"), 8, 4.5)
    return bytes(doc.pdf.output())


def _comparison_table(doc: _Pdf, products: list[dict[str, Any]], currency: str) -> None:
    doc.line(doc.text("compare"), 12, 7)
    width = (PAGE_WIDTH - 40) / max(1, len(products))
    doc.font(8)
    doc.pdf.cell(40, 6, "", border=1)
    for product in products:
        doc.pdf.cell(width, 6, doc.pick(*PRODUCT_NAMES[product["product"]]), border=1, align="C")
    doc.pdf.ln()
    for key, en, zh, unit in ROWS:
        doc.pdf.cell(40, 6, doc.pick(en, zh), border=1)
        for product in products:
            value = _format(product.get(key), unit, currency, doc) if product["offered"] else doc.text("not_offered")
            doc.pdf.cell(width, 6, doc.safe(value), border=1, align="R")
        doc.pdf.ln()


def _product_section(doc: _Pdf, product: dict[str, Any], currency: str) -> None:
    doc.pdf.ln(4)
    name = doc.pick(*PRODUCT_NAMES[product["product"]])
    if not product["offered"]:
        doc.line(f"{name}: {doc.text('not_offered')}", 11, 7)
        reason = product.get("reason") or {}
        if reason.get("message"):
            doc.line(reason["message"], 8, 4.5)
        return
    doc.line(f"{name} · {doc.text('reference')} {product['reference']}", 12, 7)
    program = product.get("program")
    if program:
        doc.line(
            f"{doc.text('program')}: {doc.pick(program['name_en'], program['name_zh'])} "
            f"({program['code']} v{program['version']})",
            8,
            4.5,
        )
    for box in product["disclosure"].get("boxes", []):
        doc.line(doc.label(box["title"]), 10, 6)
        for item in box["fields"]:
            doc.pair(doc.label(item["label"]), _format(item["value"], item["unit"], box["currency"], doc), 8)
        if box.get("schedule"):
            doc.line(doc.text("schedule"), 9, 5.5)
            for run in box["schedule"]:
                doc.pair(f"{run['count']} × {doc.label(run['label'])}", format_money(run["amount"], box["currency"]), 8)

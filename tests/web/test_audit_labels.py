"""The audit log reads out the details the demo's day records (tests/web/test_chinese_pages.py walks the page; these
are the codes it found untranslated once the demo had credit overrides, cancelled orders and self-service holds)."""

from __future__ import annotations

import pytest

from forecourt.web.audit_labels import readable_details
from forecourt.web.i18n import get_translations


@pytest.mark.parametrize(
    ("details", "expected"),
    [
        (
            {"before": {"status": "manual_review", "decided_by": None, "override_reason": ""}},
            [("之前", "审批人: —; 所填理由: ; 状态: 人工审核")],
        ),
        ({"refund_reason": "cooling_off"}, [("退款原因", "在免费取消期内取消")]),
        ({"refund_reason": "finance_declined"}, [("退款原因", "金融审批未通过")]),
        ({"refund_reason": "store_cancelled"}, [("退款原因", "门店取消")]),
        ({"refund_reason": "forfeit"}, [("退款原因", "扣留部分定金")]),
        ({"kind": "self_service"}, [("类型", "自助试驾")]),
        ({"kind": "accompanied"}, [("类型", "陪同试驾")]),
        (
            {"vin": "LVSHFFAL1JH000222"},
            [("车架号（VIN）", "LVSHFFAL1JH000222")],
        ),  # a value without a label is shown as is
    ],
)
def test_details_in_chinese(details, expected):
    assert readable_details(details, get_translations("zh-Hans").gettext) == expected

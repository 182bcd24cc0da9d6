"""The back office's fleet page in both languages: a rental that was out shows as hours and revenue, an overdue car
is listed, another store's staff see only their own stores, and a bad range is refused with the default shown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from forecourt.accounts.models import User, UserRole
from forecourt.catalog import service as catalog
from forecourt.core import clock
from tests.backoffice.helpers import sign_in
from tests.mobility.factories import NOW, RENTAL_DAY, check_out, confirmed
from tests.testdrive.helpers import HIGH_SCORE_ID, verify

pytestmark = pytest.mark.pinned_clock(NOW)


def staff_of(db_session, world, outsider: bool = False) -> User:
    store = catalog.get_store(db_session, "sh-pudong" if outsider else world.store_code)
    grant = db_session.scalars(select(UserRole).where(UserRole.store_id == store.id)).first()
    return db_session.get(User, grant.user_id)


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", ("Fleet utilisation", "Overdue", "Rental fleet")), ("zh-Hans", ("车队利用率", "已逾期", "租赁车队"))],
)
def test_the_fleet_page_shows_hours_revenue_and_the_overdue_car(client, db_session, world, lang, words):
    verify(client, world.renter, HIGH_SCORE_ID)
    rental = confirmed(client, world)  # 10:00-13:00
    with clock.pinned(RENTAL_DAY + timedelta(hours=2)):
        assert check_out(client, world, rental).status_code == 200
    sign_in(client, staff_of(db_session, world))
    with clock.pinned(RENTAL_DAY + timedelta(hours=6)):  # 14:00: an hour overdue
        page = client.get(
            "/backoffice/fleet",
            params={"store": "gz-self-service", "from": "2026-12-02", "to": "2026-12-02", "lang": lang},
        )
    assert page.status_code == 200, page.text
    for word in words:
        assert word in page.text
    assert rental["reference"] in page.text
    assert "…" + rental["vin"][-6:] in page.text


def test_a_bad_range_is_refused_and_another_stores_staff_see_only_theirs(client, db_session, world):
    sign_in(client, staff_of(db_session, world, outsider=True))
    page = client.get(
        "/backoffice/fleet", params={"store": "gz-self-service", "from": "2026-12-09", "to": "2026-12-01"}
    )
    assert page.status_code == 422
    assert 'value="sh-pudong" selected' in page.text and 'value="gz-self-service"' not in page.text

"""The test-drive booking form as a shopper's browser posts it, through the TestClient, and the people who use the
test-drive pages: shared by the page tests and the form-limit tests."""

from __future__ import annotations

import html
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from forecourt.accounts.models import User
from tests.factories import make_user
from tests.testdrive.helpers import SLOT, Fleet

BOOK = "/test-drives/book"


class People:
    """The demo shopper of the fleet, staff of its two Guangzhou stores and staff of another store (committed)."""

    def __init__(self, session: Session, fleet: Fleet) -> None:
        stores = fleet.catalog["stores"]
        self.shopper = session.scalars(select(User).where(User.email == "driver@example.test")).one()
        self.staff = make_user(
            session, roles=[("store_staff", stores["gz-tianhe"].id), ("store_staff", stores["gz-self"].id)]
        )
        self.outsider = make_user(session, roles=[("store_staff", stores["sh-pudong"].id)])
        session.commit()


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no hidden field {name}"
    return html.unescape(found.group(1))


def page_with_csrf(client, url: str) -> tuple[str, str]:
    """The page at `url`, and the CSRF token its forms carry."""
    response = client.get(url)
    assert response.status_code == 200, response.text[:500]
    return response.text, hidden(response.text, "csrf_token")


def hold(client, vin: str, start: str = SLOT, **fields: str) -> str:
    page, csrf = page_with_csrf(client, f"{BOOK}?vin={vin}&kind={fields.get('kind', 'accompanied')}")
    data = {
        "csrf_token": csrf,
        "idempotency_key": hidden(page, "idempotency_key"),
        "vin": vin,
        "kind": "accompanied",
        "minutes": "60",
        "days": "1",
        "start": start,
        **fields,
    }
    response = client.post(BOOK, data=data, follow_redirects=False)
    assert response.status_code == 303, response.text[:800]
    return response.headers["location"].rsplit("/", 1)[1]

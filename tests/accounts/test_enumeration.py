"""No account enumeration: sign-up and lock-out answer byte for byte alike for existing and missing accounts.

Each pair of requests is made at the same frozen instant, so dates in bodies match; the comparison covers the
status, every header but Date, and the body (pages echo the identifier typed, so the two identifiers have the
same length and the page of one is compared with the identifier swapped for the other's).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from forecourt.accounts import passwords
from forecourt.core import clock
from tests.accounts.helpers import sign_in
from tests.factories import PASSWORD, make_user

EXISTING = "li.lei@example.cn"
MISSING = "wu.fei@example.cn"  # same length, so Content-Length may match
HTML = {"accept": "text/html"}
NOW = datetime(2026, 12, 7, 10, 0, 7, tzinfo=UTC)


@pytest.fixture
def frozen(monkeypatch):
    moments = {"now": NOW}
    monkeypatch.setattr(clock, "utcnow", lambda: moments["now"])
    return moments


def _answer(response, identifier: str | None = None) -> tuple[int, dict[str, str], bytes]:
    headers = {k: v for k, v in response.headers.items() if k.lower() not in {"date", "x-request-id"}}
    body = response.content
    if identifier:
        body = body.replace(identifier.encode(), b"<identifier>")
    return response.status_code, headers, body


def _form_token(client, url: str) -> str:
    page = client.get(url, headers=HTML)
    return re.findall(r'name="csrf_token" value="([^"]+)"', page.text)[-1]


def _page_post(client, url: str, data: dict):
    token = _form_token(client, url)
    return client.post(url, data={"csrf_token": token, **data}, headers=HTML, follow_redirects=False)


def test_api_sign_up_answers_alike_for_existing_and_missing_accounts(client, db_session, frozen):
    make_user(db_session, email=EXISTING)
    db_session.commit()
    existing = client.post("/api/v1/auth/sign-up", json={"email": EXISTING, "password": "a-good-password"})
    missing = client.post("/api/v1/auth/sign-up", json={"email": MISSING, "password": "a-good-password"})
    assert existing.status_code == 202, existing.text
    assert _answer(existing) == _answer(missing)


def test_sign_up_page_answers_alike_for_existing_and_missing_accounts(client, db_session, frozen):
    make_user(db_session, email=EXISTING)
    db_session.commit()
    form = {"display_name": "李雷", "password": "a-good-password", "password_confirm": "a-good-password"}
    existing = _page_post(client, "/account/sign-up?lang=en", {"identifier": EXISTING, **form})
    missing = _page_post(client, "/account/sign-up?lang=en", {"identifier": MISSING, **form})
    assert existing.status_code == 200 and "Check your email" in existing.text
    assert _answer(existing, EXISTING) == _answer(missing, MISSING)


def test_api_lock_out_is_the_same_for_a_missing_account(client, db_session, frozen):
    make_user(db_session, email=EXISTING)
    db_session.commit()
    answers = [(sign_in(client, EXISTING, "wrong-password"), sign_in(client, MISSING, "wrong-password"))]
    answers += [
        (sign_in(client, EXISTING, "wrong-password"), sign_in(client, MISSING, "wrong-password")) for _ in "1234"
    ]
    answers.append((sign_in(client, EXISTING, PASSWORD), sign_in(client, MISSING, PASSWORD)))  # locked: not checked
    statuses = [pair[0].status_code for pair in answers]
    assert statuses == [401, 401, 401, 401, 429, 429]
    assert answers[-1][0].headers["retry-after"] == "901"  # the missing one waits just as long
    for existing, missing in answers:
        assert _answer(existing) == _answer(missing)

    frozen["now"] = NOW + timedelta(minutes=15, seconds=1)  # both locks expire at the same moment
    assert sign_in(client, EXISTING, PASSWORD).status_code == 200
    assert _answer(sign_in(client, EXISTING, "wrong-password")) == _answer(sign_in(client, MISSING, "wrong-password"))


def test_sign_in_page_lock_out_is_the_same_for_a_missing_account(client, db_session, frozen):
    make_user(db_session, email=EXISTING)
    db_session.commit()
    for expected in (422, 422, 422, 422, 429, 429):
        existing = _page_post(client, "/account/sign-in?lang=en", {"identifier": EXISTING, "password": "wrong-pass"})
        missing = _page_post(client, "/account/sign-in?lang=en", {"identifier": MISSING, "password": "wrong-pass"})
        assert existing.status_code == expected
        assert _answer(existing, EXISTING) == _answer(missing, MISSING)


def test_missing_accounts_lock_by_their_normalised_identifier(client, db_session, frozen):
    """Writing the same missing address differently does not reset its count."""
    spellings = ["Wu.Fei@example.cn", " wu.fei@EXAMPLE.cn ", "WU.FEI@example.cn", "wu.fei@example.cn"]
    assert [sign_in(client, s, "wrong-password").status_code for s in spellings] == [401] * 4
    assert sign_in(client, MISSING, "wrong-password").json()["code"] == "account_locked"
    assert sign_in(client, "+86 139 0013 9000", "x").status_code == 401
    assert sign_in(client, "13900139000", "x").status_code == 401  # another identifier keeps its own count


class _CountingHasher:
    """Counts argon2 work, to show a missing account costs as much as an existing one."""

    def __init__(self, real) -> None:
        self.real, self.hashes, self.verifies = real, 0, 0

    def hash(self, password: str) -> str:
        self.hashes += 1
        return self.real.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        self.verifies += 1
        return self.real.verify(stored, password)

    def check_needs_rehash(self, stored: str) -> bool:
        return self.real.check_needs_rehash(stored)


@pytest.mark.parametrize("identifier", [EXISTING, MISSING])
def test_existing_and_missing_accounts_cost_the_same_argon2_work(client, db_session, monkeypatch, identifier):
    make_user(db_session, email=EXISTING)
    db_session.commit()
    passwords._dummy_hash()  # made once per process; not part of a request's cost
    counter = _CountingHasher(passwords._hasher)
    monkeypatch.setattr(passwords, "_hasher", counter)
    assert sign_in(client, identifier, "wrong-password").status_code == 401
    assert (counter.hashes, counter.verifies) == (0, 1)
    assert (
        client.post("/api/v1/auth/sign-up", json={"email": identifier, "password": "a-good-password"}).status_code
        == 202
    )
    assert (counter.hashes, counter.verifies) == (1, 1)

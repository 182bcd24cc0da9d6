"""`attempt_then`, the form pages' run-then-redirect: on to `done` after the use case, or its page again with the
refusal, and nothing of a refused attempt left in the request's transaction."""

from __future__ import annotations

from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from forecourt.accounts.models import User
from forecourt.core.errors import Conflict
from forecourt.web.page_helpers import Problem, attempt_then
from tests.factories import make_user


def _users(session) -> int:
    return session.scalar(select(func.count()).select_from(User))


def test_a_use_case_that_succeeds_goes_on_to_done_and_keeps_its_writes(db_session):
    before = _users(db_session)
    answer = attempt_then(
        db_session, lambda: make_user(db_session), done="/done", again=lambda problem: HTMLResponse(status_code=500)
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/done"
    assert _users(db_session) == before + 1


def test_done_can_be_made_from_the_outcome(db_session):
    answer = attempt_then(
        db_session, lambda: "AB12", done=lambda made: f"/things/{made}", again=lambda problem: HTMLResponse()
    )
    assert answer.headers["location"] == "/things/AB12"


def test_a_refusal_is_shown_by_again_and_leaves_nothing_behind(db_session):
    before = _users(db_session)
    shown: list[Problem] = []

    def refused() -> None:
        make_user(db_session)
        raise Conflict("Taken meanwhile", code="slot_taken", extra={"tries_left": 2})

    def again(problem: Problem) -> HTMLResponse:
        shown.append(problem)
        return HTMLResponse("again", status_code=problem.status)

    answer = attempt_then(db_session, refused, done="/done", again=again)
    assert answer.status_code == 409 and answer.body == b"again"
    assert shown == [Problem("slot_taken", 409, "Taken meanwhile", {"tries_left": 2})]
    assert _users(db_session) == before

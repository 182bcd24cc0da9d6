"""The lead pages offer an action to exactly the people whose post of it succeeds (issue 13, finding 4): a marketer
reads leads and sees no "Done", "Log a contact", "Move" or reveal; staff of the lead's store and admins see and
use them; staff of another store who are also marketers see the lead but not its actions. The page and the route
decide by the same function (`leads.access.may_act_on`, `may_reveal`), and the stages offered are the ones
`pipeline.check_manual_move` allows."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from forecourt.core import clock
from forecourt.marketing.leads.pipeline import STAGES, check_manual_move, manual_targets
from tests.backoffice.helpers import sign_in
from tests.finance.quotes.helpers import NOW
from tests.web.action_world import ActionWorld, make_action_world, rolled_back

ROLES = ("store_staff", "other_store_staff", "finance_officer", "marketer", "staff_and_marketer", "admin")
MAY_COMPLETE = {"store_staff", "admin"}  # of gz-tianhe's lead: its staff and admins


@pytest.fixture
def world(db_session: Session) -> Iterator[ActionWorld]:
    with clock.pinned(NOW):
        yield make_action_world(db_session)


def _done_offered(page: str, task_id: int) -> bool:
    return f'action="/backoffice/leads/tasks/{task_id}/complete"' in page


@pytest.mark.parametrize("role", ROLES)
def test_done_is_offered_on_the_task_list_iff_its_post_succeeds(client, world, role):
    csrf = sign_in(client, world.users[role])
    with clock.pinned(NOW):
        listing = client.get("/backoffice/leads?lang=en")
        offered = listing.status_code == 200 and _done_offered(listing.text, world.task_id)
        done = client.post(
            f"/backoffice/leads/tasks/{world.task_id}/complete", data={"csrf_token": csrf}, follow_redirects=False
        )
    assert offered == (done.status_code == 303), (role, listing.status_code, done.status_code)
    assert offered == (role in MAY_COMPLETE)
    if role in ("marketer", "staff_and_marketer"):  # they read the tasks, without a button
        assert f'href="/backoffice/leads/{world.lead_reference}"' in listing.text and done.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_the_lead_page_offers_its_actions_iff_their_posts_succeed(client, db_connection, world, role):
    csrf = sign_in(client, world.users[role])
    url = f"/backoffice/leads/{world.lead_reference}"
    with clock.pinned(NOW):
        page = client.get(f"{url}?lang=en")
        text = page.text if page.status_code == 200 else ""
        posts = {}
        for name, action, data in (
            ("contacted", f"{url}/contacted", {}),
            ("stage", f"{url}/stage", {"status": "test_drive"}),
            ("reveal", f"{url}/reveal", {}),
            ("complete", f"/backoffice/leads/tasks/{world.task_id}/complete", {"next": "lead"}),
        ):
            with rolled_back(db_connection):  # each post on the lead as the page showed it
                posts[name] = client.post(action, data={"csrf_token": csrf, **data}, follow_redirects=False)
    offered = {
        "contacted": f'action="{url}/contacted"' in text,
        "stage": f'action="{url}/stage"' in text,
        "reveal": f'action="{url}/reveal"' in text,
        "complete": _done_offered(text, world.task_id),
    }
    succeeded = {name: response.status_code in (200, 303) for name, response in posts.items()}
    assert offered == succeeded, (role, page.status_code, {n: r.status_code for n, r in posts.items()})
    visible = page.status_code == 200
    assert visible == (role in ("store_staff", "marketer", "staff_and_marketer", "admin"))
    if visible and not any(offered.values()):
        assert 'id="actions-heading"' not in text  # no empty "Actions" section either


def test_staff_are_offered_only_the_forward_moves_and_admins_every_move(client, db_session, world):
    url = f"/backoffice/leads/{world.lead_reference}"
    csrf = sign_in(client, world.users["store_staff"])
    with clock.pinned(NOW):
        assert client.post(f"{url}/stage", data={"csrf_token": csrf, "status": "application"}).status_code == 200
        staff_page = client.get(f"{url}?lang=en").text
        back = client.post(f"{url}/stage", data={"csrf_token": csrf, "status": "contacted"}, follow_redirects=False)
    offered = re.findall(r'<option value="([a-z_]+)"', staff_page.split('id="stage"')[1].split("</select>")[0])
    assert offered == ["won", "lost"] and back.status_code == 403  # back to contacted: admins only, not offered
    client.cookies.clear()
    csrf = sign_in(client, world.users["admin"])
    with clock.pinned(NOW):
        admin_page = client.get(f"{url}?lang=en").text
    offered = re.findall(r'<option value="([a-z_]+)"', admin_page.split('id="stage"')[1].split("</select>")[0])
    assert offered == ["new", "contacted", "test_drive", "won", "lost"]


@pytest.mark.parametrize("current", STAGES)
@pytest.mark.parametrize("is_admin", [False, True])
def test_the_moves_offered_are_the_moves_allowed(current, is_admin):
    offered = manual_targets(current, is_admin=is_admin)
    for target in STAGES:
        refusal = check_manual_move(current, target, reason="a good reason", is_admin=is_admin)
        assert (target in offered) == (refusal is None), (current, target, refusal)
    if not is_admin and current in ("won", "lost"):
        assert offered == ()  # a closed lead: nothing for staff to do, so no form

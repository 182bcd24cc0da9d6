"""A NUL character in a form field is refused the same way on SQLite and PostgreSQL (which cannot store it), and a
value the database refuses anyway is a 422, never a 500. Found by tests/test_parameter_extremes.py on PostgreSQL:
POST /account/tokens, /finance/apply and /orders/new with a NUL answered 500."""

from __future__ import annotations

import pytest

FORM = {"content-type": "application/x-www-form-urlencoded", "accept": "text/html"}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/account/tokens", b"name=a%00b"),  # FastAPI Form fields
        ("/orders/new", b"quote=a%00b&payment_method=demo-card-ok"),  # pages reading the posted form
        ("/finance/apply", b"quote=a%00b"),
    ],
)
def test_a_nul_in_a_form_is_a_422_page_on_every_database(admin_client, path, body):
    response = admin_client.post(path + "?lang=en", content=body, headers=FORM)
    assert response.status_code == 422, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")


def test_the_same_form_without_the_nul_is_accepted(admin_client):
    response = admin_client.post("/account/tokens?lang=en", content=b"name=ab", headers=FORM)
    assert response.status_code == 201, response.text[:500]


def test_a_value_the_database_refuses_is_a_422_problem(admin_client, backend):
    """JSON strings keep their NUL (the API stores what it is sent); PostgreSQL refuses it: 422, not 500."""
    response = admin_client.post("/api/v1/me/tokens", json={"name": "a\u0000b"})
    if backend == "postgresql":
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "unstorable_value"
    else:
        assert response.status_code == 201, response.text

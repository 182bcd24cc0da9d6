"""/api/v1/campaigns: create, list and filter, get, patch; roles; exact money; UTM uniqueness."""

from __future__ import annotations

import pytest

from tests.factories import make_small_catalog
from tests.marketing.helpers import CAMPAIGNS, marketer_headers, shopper

BODY = {
    "code": "baidu-mondeo-q4",
    "name": "Mondeo search Q4",
    "channel": "search",
    "utm_source": "Baidu",
    "utm_medium": "cpc",
    "utm_campaign": "mondeo-q4",
    "budget": "250000.10",
    "starts_on": "2026-10-01",
    "ends_on": "2026-12-31",
    "target_models": ["mondeo"],
    "target_cities": ["Guangzhou"],
}


@pytest.fixture
def marketer(db_session):
    make_small_catalog(db_session)
    return marketer_headers(db_session)


def test_create_get_list_patch(client, marketer):
    created = client.post(CAMPAIGNS, json=BODY, headers=marketer)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["budget"] == "250000.10" and body["spent"] == "0.00" and body["currency"] == "CNY"
    assert body["utm_source"] == "baidu" and body["target_cities"] == ["guangzhou"]
    assert client.get(f"{CAMPAIGNS}/baidu-mondeo-q4", headers=marketer).json()["name"] == "Mondeo search Q4"
    other = {
        **BODY,
        "code": "weibo-kuga",
        "channel": "social",
        "utm_source": "weibo",
        "target_models": ["kuga"],
        "starts_on": "2027-01-01",
        "ends_on": None,
    }
    assert client.post(CAMPAIGNS, json=other, headers=marketer).status_code == 201
    codes = lambda **q: [c["code"] for c in client.get(CAMPAIGNS, params=q, headers=marketer).json()]
    assert codes() == ["weibo-kuga", "baidu-mondeo-q4"]
    assert codes(channel="search") == ["baidu-mondeo-q4"]
    assert codes(active_on="2026-11-11") == ["baidu-mondeo-q4"]
    assert codes(model="kuga") == ["weibo-kuga"]
    assert codes(q="WEIBO") == ["weibo-kuga"]
    patched = client.patch(f"{CAMPAIGNS}/baidu-mondeo-q4", json={"budget": "300000", "ends_on": None}, headers=marketer)
    assert patched.status_code == 200, patched.text
    assert patched.json()["budget"] == "300000.00" and patched.json()["ends_on"] is None


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"target_models": ["mondeo", "model-t"]}, 422, "unknown_model"),
        ({"ends_on": "2026-01-01"}, 422, "dates_out_of_order"),
        ({"channel": "radio"}, 422, "validation_error"),
        ({"budget": "-1"}, 422, "validation_error"),
        ({"budget": "1.001"}, 422, "validation_error"),
        ({"name": "bad\x00name"}, 422, "validation_error"),
        ({"surprise": 1}, 422, "validation_error"),
    ],
)
def test_invalid_campaigns(client, marketer, change, status, code):
    response = client.post(CAMPAIGNS, json={**BODY, **change}, headers=marketer)
    assert (response.status_code, response.json()["code"]) == (status, code)


def test_code_and_utm_triple_are_unique(client, marketer):
    assert client.post(CAMPAIGNS, json=BODY, headers=marketer).status_code == 201
    same_code = client.post(CAMPAIGNS, json={**BODY, "utm_campaign": "other"}, headers=marketer)
    assert (same_code.status_code, same_code.json()["code"]) == (409, "campaign_exists")
    same_utm = client.post(CAMPAIGNS, json={**BODY, "code": "another", "utm_source": "BAIDU"}, headers=marketer)
    assert (same_utm.status_code, same_utm.json()["code"]) == (409, "utm_taken")
    client.post(CAMPAIGNS, json={**BODY, "code": "another", "utm_campaign": "x"}, headers=marketer)
    clash = client.patch(f"{CAMPAIGNS}/another", json={"utm_campaign": "mondeo-q4"}, headers=marketer)
    assert (clash.status_code, clash.json()["code"]) == (409, "utm_taken")


def test_roles(client, db_session, marketer):
    _, shopper_headers = shopper(db_session)
    assert client.get(CAMPAIGNS).status_code == 401
    assert client.get(CAMPAIGNS, headers=shopper_headers).status_code == 403
    assert client.post(CAMPAIGNS, json=BODY, headers=shopper_headers).status_code == 403
    assert client.get(f"{CAMPAIGNS}/nope", headers=marketer).status_code == 404


def test_admin_may_write(admin_client, db_session):
    make_small_catalog(db_session)
    db_session.commit()
    assert admin_client.post(CAMPAIGNS, json=BODY).status_code == 201

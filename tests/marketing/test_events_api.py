"""POST /api/v1/events: idempotent by event id, per-event rejections, channels, who may send what."""

from __future__ import annotations

import pytest

from tests.marketing.helpers import (
    EVENTS,
    event,
    make_campaign,
    marketer_headers,
    shopper,
    stored,
    visitor_id,
)


def test_batch_is_stored_and_duplicates_counted_once(client, db_session):
    first, second = event(), event(type="vehicle_view", model_code="mondeo")
    response = client.post(EVENTS, json={"events": [first, second, first]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (2, 1, [])
    assert body["duplicate_event_ids"] == [first["event_id"]]
    again = client.post(EVENTS, json={"events": [second, event()]}).json()
    assert (again["accepted"], again["duplicates"]) == (1, 1)
    assert len(stored(db_session, event_id=second["event_id"])) == 1


def test_malformed_events_are_rejected_one_by_one(client, db_session):
    good = event()
    batch = [
        good,
        event(occurred_at="2026-12-01T10:00:00"),  # naive
        event(occurred_at="yesterday"),
        event(type="teleport"),
        event(type="order"),  # a platform conversion
        event(event_id="x" * 65),
        event(visitor_id=None),  # nobody's event
        event(utm_source="bai\x00du"),
        event(referrer="https://" + "a" * 3000),
        event(value="-5"),
        event(occurred_at="2999-01-01T00:00:00Z"),
        "not an object",
        event(colour="red"),
        event(event_id="platform:order:FAKE"),
        event(value="12.345"),
        event(model_code="Mondeo Hybrid!"),
        event(user_id="abc"),
        event(channel="carrier-pigeon"),
    ]
    response = client.post(EVENTS, json={"events": batch})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["accepted"] == 1
    rejected = {r["index"]: r for r in body["rejected"]}
    assert sorted(rejected) == list(range(1, len(batch)))
    assert rejected[1]["field"] == "occurred_at" and "UTC offset" in rejected[1]["reason"]
    assert "conversion" in rejected[4]["reason"]
    assert rejected[5]["event_id"] == "x" * 64  # echoed, truncated
    assert "colour" in rejected[12]["reason"]
    assert "reserved" in rejected[13]["reason"]
    assert all(r["reason"] for r in body["rejected"])
    assert [e.event_id for e in stored(db_session)] == [good["event_id"]]


@pytest.mark.parametrize(
    "payload",
    [
        {"events": [{}] * 1001},
        {"events": "nope"},
        {"batch": []},
        [],
    ],
)
def test_hostile_batches_are_4xx(client, payload):
    response = client.post(EVENTS, json=payload)
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith("application/problem+json")


def test_huge_anonymous_traffic_is_rate_limited(client):
    for _ in range(3):
        assert client.post(EVENTS, json={"events": [event() for _ in range(100)]}).status_code == 200
    response = client.post(EVENTS, json={"events": [event()]})
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"


def test_channel_from_campaign_medium_referrer_or_direct(client, db_session):
    campaign = make_campaign(db_session, channel="video", source="Douyin", medium="cpc", name="mondeo-q4")
    batch = [
        event(event_id="c1", utm_source="douyin", utm_medium="CPC", utm_campaign="Mondeo-Q4"),  # the campaign
        event(event_id="c2", utm_source="other", utm_medium="cpc", utm_campaign="x"),  # medium → search
        event(event_id="c3", referrer="https://www.xiaohongshu.com/explore/1"),  # social
        event(event_id="c4", referrer="https://item.jd.com/1.html"),  # marketplace
        event(event_id="c5"),  # direct
        event(event_id="c6", utm_medium="edm"),  # email
        event(event_id="c7", referrer="https://some-blog.example/post"),  # referral
    ]
    assert client.post(EVENTS, json={"events": batch}).json()["accepted"] == 7
    channels = {e.event_id: (e.channel, e.campaign_id) for e in stored(db_session)}
    assert channels == {
        "c1": ("video", campaign.id),
        "c2": ("search", None),
        "c3": ("social", None),
        "c4": ("marketplace", None),
        "c5": ("direct", None),
        "c6": ("email", None),
        "c7": ("referral", None),
    }


def test_user_id_rules(client, db_session):
    user_id, headers = shopper(db_session)
    other_id, _ = shopper(db_session)
    anonymous = client.post(EVENTS, json={"events": [event(user_id=user_id)]}).json()
    assert anonymous["accepted"] == 0 and anonymous["rejected"][0]["field"] == "user_id"
    own = client.post(EVENTS, json={"events": [event(event_id="own"), event(user_id=other_id)]}, headers=headers).json()
    assert own["accepted"] == 1 and own["rejected"][0]["index"] == 1
    assert stored(db_session, event_id="own")[0].user_id == user_id  # filled in: the signed-in shopper's
    marketer = marketer_headers(db_session)
    by_marketer = client.post(
        EVENTS,
        json={"events": [event(event_id="m1", user_id=other_id, visitor_id=None), event(user_id=999_999_999)]},
        headers=marketer,
    ).json()
    assert by_marketer["accepted"] == 1
    assert "not a Forecourt user" in by_marketer["rejected"][0]["reason"]


def test_value_is_exact(client, db_session):
    client.post(EVENTS, json={"events": [event(event_id="v1", type="contact", value="169800.10")]})
    assert str(stored(db_session, event_id="v1")[0].value) == "169800.10"


def test_anonymous_visitor_row_is_created(client, db_session):
    from forecourt.marketing import event_repository

    vid = visitor_id()
    client.post(EVENTS, json={"events": [event(visitor_id=vid)]})
    visitor = event_repository.get_visitor(db_session, vid)
    assert visitor is not None and visitor.consent is None and visitor.user_id is None


@pytest.mark.parametrize(
    ("medium", "referrer", "expected"),
    [
        ("cpc", None, "search"),
        ("PPC", None, "search"),
        ("paid_social", None, "social"),
        ("banner", None, "display"),
        ("video", None, "video"),
        ("newsletter", None, "email"),
        ("sms", None, "sms"),
        ("affiliate", None, "referral"),
        ("marketplace", None, "marketplace"),
        (None, "https://m.baidu.com/s?wd=x", "search"),
        (None, "https://www.douyin.com/video/1", "social"),
        (None, "weibo.cn/u/1", "social"),
        (None, "https://detail.tmall.com/item.htm", "marketplace"),
        (None, "https://www.bing.com/", "search"),
        (None, "https://mp.weixin.qq.com/s/abc", "social"),
        (None, "not a url", "direct"),
        (None, None, "direct"),
        ("unknown-medium", "https://friend.example/", "referral"),
    ],
)
def test_channel_mapping(medium, referrer, expected):
    from forecourt.marketing.channels import resolve_channel

    assert resolve_channel(campaign_channel=None, explicit=None, utm_medium=medium, referrer=referrer) == expected

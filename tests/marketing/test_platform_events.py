"""Conversions from the platform: booking, drive taken, credit application, order and quote request reach the
marketing events through the outbox, once each, however often the relay delivers them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from forecourt.core import clock
from forecourt.core.outbox import (
    Channel,
    OutboxMessage,
    enqueue_event,
    file_adapters,
    relay_outbox,
)
from forecourt.marketing.platform_events import PlatformEventAdapter
from tests.marketing.helpers import EVENTS, event, stored


def relay(client) -> int:
    return relay_outbox(client.app.state.session_factory, client.app.state.outbox_adapters())


def event_messages(session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.channel == Channel.EVENT.value)))


def test_test_drive_booked_and_taken(client, db_session):
    from tests.testdrive.helpers import BOOKINGS, NOW, confirm, hold, make_fleet, verify

    with clock.pinned(NOW):
        fleet = make_fleet(db_session)
        car = fleet.dealer_cars[0]
        reference = hold(client, fleet.shopper, vin=car.vin).json()["reference"]
        verify(client, fleet.shopper)
        assert confirm(client, fleet.shopper, reference).status_code == 200
    booked = stored(db_session, event_id=f"platform:test_drive_booked:{reference}")  # relayed after the response
    assert len(booked) == 1
    conversion = booked[0]
    assert (conversion.type, conversion.source, conversion.user_id, conversion.subject) == (
        "test_drive_booked",
        "platform",
        fleet.shopper_id,
        reference,
    )
    assert (conversion.model_code, conversion.city, conversion.store_code) == ("mondeo", "guangzhou", "gz-tianhe")
    reading = {"odometer_km": 1000, "energy_percent": 90}
    with clock.pinned(NOW + timedelta(hours=26)):
        assert client.post(f"{BOOKINGS}/{reference}/check-out", json=reading, headers=fleet.staff).status_code == 200
    with clock.pinned(NOW + timedelta(hours=26, minutes=50)):
        back = client.post(
            f"{BOOKINGS}/{reference}/check-in", json={**reading, "odometer_km": 1010}, headers=fleet.staff
        )
        assert back.status_code == 200, back.text
    relay(client)
    assert len(stored(db_session, type="test_drive_taken", subject=reference)) == 1


def test_credit_application(client, db_session):
    from tests.finance.credit.helpers import NOW, body, make_finance, submit

    with clock.pinned(NOW):
        fin = make_finance(db_session)
        response = submit(client, fin.headers["shopper"], body(fin.quote))
        assert response.status_code == 201, response.text
    relay(client)
    reference = response.json()["reference"]
    found = stored(db_session, type="credit_application")
    assert [(e.subject, e.user_id, e.store_code) for e in found] == [(reference, fin.users["shopper"].id, "gz-tianhe")]


def test_order_carries_the_vehicle_price(client, db_session):
    from tests.finance.orders.factories import NOW, make_order_world, make_quote, reserve

    with clock.pinned(NOW):
        world = make_order_world(db_session)
        quote = make_quote(db_session, world.users["buyer"], world.cheap)
        db_session.commit()
        response = reserve(client, world.headers["buyer"], quote)
        assert response.status_code == 201, response.text
    relay(client)
    order = stored(db_session, type="order")
    assert len(order) == 1
    assert order[0].value == Decimal(world.cheap.price) and order[0].subject == response.json()["reference"]


def test_quote_request_of_a_signed_in_shopper_only(client, db_session):
    from tests.finance.quotes.helpers import NOW, QUOTES, make_lot

    with clock.pinned(NOW):
        lot = make_lot(db_session)
        body = {"vin": lot.mondeo.vin, "down_percent": "0.2", "term_months": 36}
        assert client.post(QUOTES, json=body).status_code == 201  # anonymous: no one to attribute to
        signed_in = client.post(QUOTES, json=body, headers=lot.shopper)
        assert signed_in.status_code == 201, signed_in.text
    relay(client)
    requests = stored(db_session, type="quote_request")
    assert [(e.user_id, e.subject, e.source) for e in requests] == [
        (lot.shopper_id, signed_in.json()["reference"], "platform")
    ]


def test_redelivery_and_forgery_are_harmless(client, db_session):
    from tests.factories import make_user

    user = make_user(db_session)
    payload = {
        "event_id": "platform:order:OR12345678",
        "type": "order",
        "occurred_at": "2026-12-01T02:00:00+00:00",
        "user_id": user.id,
        "model_code": "mondeo",
        "city": "guangzhou",
        "store_code": "gz-tianhe",
        "subject": "OR12345678",
        "value": "179800.00",
    }
    message = enqueue_event(db_session, payload)
    db_session.commit()
    assert relay(client) >= 1
    adapter = PlatformEventAdapter(client.app.state.session_factory)
    adapter.send(message)  # delivered again (a crash between sending and marking)
    assert len(stored(db_session, event_id=payload["event_id"])) == 1
    forged = client.post(
        EVENTS, json={"events": [event(event_id="platform:order:OR12345678", type="visit"), event(type="order")]}
    ).json()
    assert forged["accepted"] == 0 and len(forged["rejected"]) == 2


def test_file_adapters_do_not_swallow_events(db_session, tmp_path):
    assert Channel.EVENT.value not in file_adapters(tmp_path)
    enqueue_event(db_session, {"event_id": "platform:order:X", "type": "order"})
    db_session.commit()
    # A relay without the event adapter leaves the event for one that has it (no attempt is spent).
    relay_outbox(lambda: db_session, file_adapters(tmp_path))
    assert [(m.attempts, m.sent_at) for m in event_messages(db_session)] == [(0, None)]

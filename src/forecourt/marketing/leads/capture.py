"""Capturing leads from marketing events: find the person's open lead (by user, stitched visitor, contact blind
index or visitor), else create one routed to a store; count what the person did; move the lead forward.

Person key, strongest first: `user:<id>` (the event's user, or the user its visitor was stitched to), then
`contact:<blind index of the normalised mobile, else e-mail>` (contact form), then `visitor:<id>`.

Routing (first that applies): the event's store_code; a dealer in the event's city that has the model in stock
(the most cars of it, then store code); any dealer in the city; a self-service store in the city; the default
store, which is the first dealer by store code (deterministic; staff can see `routed_by = default` and act).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.catalog.models import Store
from forecourt.core.clock import utcnow
from forecourt.core.references import new_reference
from forecourt.marketing.leads import geo, lifecycle, repository, sla
from forecourt.marketing.leads.models import Lead
from forecourt.marketing.leads.pipeline import CREATING_EVENTS, event_target
from forecourt.marketing.models import MarketingEvent

COUNTERS = {
    "vehicle_view": "vehicle_views",
    "calculator_use": "calculator_uses",
    "configurator_use": "configurator_uses",
    "quote_request": "quote_requests",
    "contact": "contacts",
}
FLAGS = {
    "test_drive_booked": ("test_drive_booked",),
    "test_drive_taken": ("test_drive_booked", "test_drive_taken"),
    "credit_application": ("credit_applied",),
}


@dataclass(frozen=True)
class ContactIndexes:
    """Blind indexes of a contact form's normalised mobile and e-mail (the details themselves are sealed by the
    contact use case once the lead exists)."""

    mobile: str | None
    email: str | None

    @property
    def key(self) -> str | None:
        primary = self.mobile or self.email
        return f"contact:{primary}" if primary else None


@dataclass(frozen=True)
class Route:
    store: Store
    routed_by: str
    distance_km: float | None


def _city_matches(store: Store, city: str) -> bool:
    wanted = city.strip().lower()
    return wanted in (store.city.code.lower(), store.city.name_en.lower(), store.city.name_zh)


def route(session: Session, *, city: str | None, model_code: str | None, store_code: str | None) -> Route | None:
    stores = list(catalog.list_stores(session))
    if not stores:
        return None
    by_code = {s.code: s for s in stores}
    in_city = [s for s in stores if city and _city_matches(s, city)]
    chosen, how = None, "default"
    if store_code and store_code in by_code:
        chosen, how = by_code[store_code], "event_store"
    elif in_city:
        stock = catalog.model_stock_by_store(session, model_code) if model_code else {}
        stocking = [s for s in in_city if stock.get(s.id)]
        dealers = [s for s in in_city if s.kind == "dealer"]
        if stocking:
            chosen = min(stocking, key=lambda s: (s.kind != "dealer", -stock[s.id], s.code))
            how = "city_model"
        else:
            chosen, how = (dealers or in_city)[0], "city"
    if chosen is None:
        dealers = [s for s in stores if s.kind == "dealer"]
        chosen = (dealers or stores)[0]
    return Route(chosen, how, _distance(stores, city, chosen))


def _distance(stores: list[Store], city: str | None, store: Store) -> float | None:
    if not city:
        return None
    matching = [s for s in stores if _city_matches(s, city)]
    code = matching[0].city.code if matching else city.strip().lower()
    centre = geo.city_centre(code, [(float(s.latitude), float(s.longitude)) for s in matching])
    if centre is None:
        return None
    return round(geo.haversine_km(centre, (float(store.latitude), float(store.longitude))), 1)


def count_event(lead: Lead, event_type: str, occurred_at: datetime) -> None:
    if event_type in COUNTERS:
        setattr(lead, COUNTERS[event_type], (getattr(lead, COUNTERS[event_type]) or 0) + 1)
    for flag in FLAGS.get(event_type, ()):
        setattr(lead, flag, True)
    if event_type != "order" and (lead.last_activity_at is None or occurred_at > lead.last_activity_at):
        lead.last_activity_at = occurred_at


def _identities(session: Session, event: MarketingEvent) -> tuple[int | None, list[str]]:
    user_id = event.user_id
    if user_id is None and event.visitor_id:
        user_id = repository.stitched_user(session, event.visitor_id)
    visitors = [event.visitor_id] if event.visitor_id else []
    if user_id is not None:
        visitors += [v for v in repository.visitors_of_user(session, user_id) if v not in visitors]
    return user_id, visitors


def capture(
    session: Session, event: MarketingEvent, *, contact: ContactIndexes | None = None, now: datetime | None = None
) -> Lead | None:
    """The lead this event belongs to (created if it is an inquiry and the person has no open lead), or None."""
    now = now or utcnow()
    user_id, visitors = _identities(session, event)
    contact = contact or ContactIndexes(None, None)
    keys = [
        k
        for k in (f"user:{user_id}" if user_id is not None else None, contact.key, *(f"visitor:{v}" for v in visitors))
        if k
    ]
    indexes = [i for i in (contact.mobile, contact.email) if i]
    found = repository.open_leads_of_person(
        session, keys=keys, user_id=user_id, visitor_ids=visitors, contact_indexes=indexes
    )
    if found:
        lead = found[0]
        _strengthen_identity(session, lead, user_id, contact, event.visitor_id)
        count_event(lead, event.type, event.occurred_at)
        lead.updated_at = now
        lifecycle.add_activity(session, lead, event.occurred_at, "event", event_type=event.type, event_id=event.id)
        target = event_target(lead.status, event.type)
        if target is not None:
            lifecycle.change_stage(session, lead, target, now, event_type=event.type, event_id=event.id)
        session.flush()
        return lead
    if event.type not in CREATING_EVENTS:
        return None
    return _create(session, event, keys[0], user_id, visitors, contact, now)


def _strengthen_identity(
    session: Session, lead: Lead, user_id: int | None, contact: ContactIndexes, visitor_id: str | None
) -> None:
    lead.mobile_index = lead.mobile_index or contact.mobile
    lead.email_index = lead.email_index or contact.email
    lead.visitor_id = lead.visitor_id or visitor_id
    if user_id is not None and lead.user_id is None:
        lead.user_id = user_id
        key = f"user:{user_id}"
        if not repository.open_leads_of_person(session, keys=[key], user_id=None, visitor_ids=(), contact_indexes=()):
            lead.person_kind, lead.person_key, lead.open_person_key = "user", key, key


def _create(
    session: Session,
    event: MarketingEvent,
    key: str,
    user_id: int | None,
    visitors: list[str],
    contact: ContactIndexes,
    now: datetime,
) -> Lead | None:
    routed = route(session, city=event.city, model_code=event.model_code, store_code=event.store_code)
    if routed is None:
        return None  # no store at all: nobody could follow the lead up
    kind = key.split(":", 1)[0]
    due = sla.first_contact_due(min(event.occurred_at, now), routed.store.opening_hours, routed.store.time_zone)
    lead = Lead(
        reference=new_reference("LD"),
        status="new",
        person_kind=kind,
        person_key=key,
        open_person_key=key,
        user_id=user_id,
        visitor_id=event.visitor_id,
        mobile_index=contact.mobile,
        email_index=contact.email,
        store_id=routed.store.id,
        routed_by=routed.routed_by,
        source=event.type,
        channel=event.channel,
        campaign_id=event.campaign_id,
        model_code=event.model_code,
        city=event.city,
        distance_km=routed.distance_km,
        vehicle_views=0,
        calculator_uses=0,
        configurator_uses=0,
        quote_requests=0,
        contacts=0,
        test_drive_booked=False,
        test_drive_taken=False,
        credit_applied=False,
        last_activity_at=event.occurred_at,
        created_at=now,
        updated_at=now,
        first_contact_due_at=due,
    )
    for earlier in repository.person_events(session, user_id=user_id, visitor_ids=visitors, before_id=event.id):
        count_event(lead, earlier.type, earlier.occurred_at)
        lead.channel = lead.channel or earlier.channel  # the first touch's channel when the inquiry has none
        lead.campaign_id = lead.campaign_id or earlier.campaign_id
    count_event(lead, event.type, event.occurred_at)
    session.add(lead)
    session.flush()
    lifecycle.add_activity(
        session,
        lead,
        event.occurred_at,
        "created",
        event_type=event.type,
        event_id=event.id,
        to_status="new",
        note=f"routed by {routed.routed_by} to {routed.store.code}",
    )
    lifecycle.open_task(session, lead, "first_contact", due, now)
    target = event_target("new", event.type)
    if target is not None:
        lifecycle.change_stage(session, lead, target, now, event_type=event.type, event_id=event.id)
    session.flush()
    return lead


def _may_concern_a_lead(session: Session, events: Sequence[MarketingEvent]) -> list[MarketingEvent]:
    """Inquiries, and the other events of people who have an open lead or inquire in this batch.

    A few queries for the whole batch decide, so a bulk import of anonymous impressions does not cost two
    queries per row. A person is matched as `capture` matches them: by user, or by any of their visitors.
    """
    stitched = repository.stitched_users(session, {e.visitor_id for e in events if e.visitor_id})
    users_of = {e.id: e.user_id or stitched.get(e.visitor_id or "") for e in events}
    visitors_of_user = repository.visitors_of_users(session, {u for u in users_of.values() if u is not None})

    def visitors(event: MarketingEvent) -> set[str]:
        own = {event.visitor_id} if event.visitor_id else set()
        return own | visitors_of_user.get(users_of[event.id] or 0, set())

    all_visitors = set().union(*(visitors(e) for e in events))
    lead_users, lead_visitors = repository.people_with_open_leads(
        session, user_ids={u for u in users_of.values() if u is not None}, visitor_ids=all_visitors
    )
    for event in events:
        if event.type in CREATING_EVENTS:  # a lead may be created for this person within the batch
            lead_users |= {users_of[event.id]} - {None}
            lead_visitors |= visitors(event)
    return [
        e for e in events if e.type in CREATING_EVENTS or users_of[e.id] in lead_users or visitors(e) & lead_visitors
    ]


def capture_all(session: Session, events: Sequence[MarketingEvent]) -> list[Lead]:
    leads = []
    for event in sorted(_may_concern_a_lead(session, events), key=lambda e: (e.occurred_at, e.id or 0)):
        lead = capture(session, event)
        if lead is not None:
            leads.append(lead)
    return leads

"""My garage API: the signed-in owner's cars and one car's card with its payment schedule. Another person's car,
or one the caller no longer owns, answers 404."""

from __future__ import annotations

from fastapi import APIRouter

from forecourt.accounts.security import RequiredUser
from forecourt.core.clock import utcnow
from forecourt.core.http import DbSession
from forecourt.ownership.garage import service as garage
from forecourt.ownership.garage.schemas import GarageCardOut
from forecourt.ownership.garage.shaping import card_out

router = APIRouter(prefix="/api/v1", tags=["ownership"])


@router.get("/garage", response_model=list[GarageCardOut], summary="My cars")
def my_garage(session: DbSession, user: RequiredUser) -> list[GarageCardOut]:
    return [card_out(c, with_schedule=False) for c in garage.my_cards(session, user.user_id, utcnow())]


@router.get("/garage/{reference}", response_model=GarageCardOut, summary="One of my cars, with its schedule")
def my_car(session: DbSession, user: RequiredUser, reference: str) -> GarageCardOut:
    return card_out(garage.my_card(session, user.user_id, reference, utcnow()), with_schedule=True)

"""Lease mileage API: the owner's lease or lease-to-own — allowance, km driven, daily rate, projection and excess
charge with each step's inputs, and from 120 days before the end the lease-end options. 404 for another's car;
409 `not_a_lease` for a contract without a km allowance."""

from __future__ import annotations

from fastapi import APIRouter

from forecourt.accounts.security import RequiredUser
from forecourt.core.clock import utcnow
from forecourt.core.http import DbSession
from forecourt.ownership.leases import service as leases
from forecourt.ownership.leases.schemas import LeaseOut
from forecourt.ownership.leases.shaping import lease_out
from forecourt.ownership.records import service as records

router = APIRouter(prefix="/api/v1", tags=["ownership"])


@router.get("/garage/{reference}/lease", response_model=LeaseOut, summary="My lease's mileage and lease-end options")
def my_lease(session: DbSession, user: RequiredUser, reference: str) -> LeaseOut:
    ownership = records.get_for_owner(session, user.user_id, reference)
    return lease_out(leases.lease_view(session, ownership, utcnow()))

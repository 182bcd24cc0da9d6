"""Lease mileage API: the owner's lease or lease-to-own — allowance, km driven, daily rate, projection and excess
charge with each step's inputs, and from 120 days before the end the lease-end options, among them the swap into
a new car priced with the owner's equity (`/lease/swap`, read-only: nothing is stored, so no Idempotency-Key).
404 for another's car; 409 `not_a_lease` for a contract without a km allowance."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from forecourt.accounts.security import RequiredUser
from forecourt.core.clock import utcnow
from forecourt.core.decimals import decimal_rules
from forecourt.core.http import DbSession
from forecourt.finance.quotes.service import MAX_ANNUAL_MILEAGE
from forecourt.ownership.leases import service as leases
from forecourt.ownership.leases import swap
from forecourt.ownership.leases.schemas import LeaseOut, SwapOut
from forecourt.ownership.leases.shaping import lease_out, swap_out
from forecourt.ownership.records import service as records

router = APIRouter(prefix="/api/v1", tags=["ownership"])
SwapProduct = Literal["loan", "balloon", "lease", "lease_to_own"]  # swap.SWAP_PRODUCTS


@router.get("/garage/{reference}/lease", response_model=LeaseOut, summary="My lease's mileage and lease-end options")
def my_lease(session: DbSession, user: RequiredUser, reference: str) -> LeaseOut:
    ownership = records.get_for_owner(session, user.user_id, reference)
    return lease_out(leases.lease_view(session, ownership, utcnow()))


@router.get(
    "/garage/{reference}/lease/swap",
    response_model=SwapOut,
    summary="Swap my leased car for a new one: the equity applied to the new car's finance quote",
    responses={409: {"description": "not_a_lease, or lease_end_not_due (the options open 120 days before the end)"}},
)
def my_lease_swap(
    session: DbSession,
    user: RequiredUser,
    reference: str,
    vin: Annotated[str, Query(min_length=17, max_length=17, description="A car for sale (the new car)")],
    product: Annotated[SwapProduct, Query(description="The new car's finance product")],
    term_months: Annotated[int, Query(ge=1, le=120)],
    appraisal: Annotated[
        Decimal | None,
        Query(
            **decimal_rules(
                ge=0,
                le=swap.MAX_AMOUNT,
                max_digits=10,
                decimal_places=2,
                description="The store's appraisal of the leased car; default: the contract's residual value",
            )
        ),
    ] = None,
    cash_down: Annotated[
        Decimal,
        Query(
            **decimal_rules(
                ge=0, le=swap.MAX_AMOUNT, max_digits=10, decimal_places=2, description="Cash added to the equity"
            )
        ),
    ] = Decimal("0.00"),
    annual_mileage: Annotated[int, Query(ge=0, le=MAX_ANNUAL_MILEAGE, description="Km a year (leases)")] = (
        swap.DEFAULT_ANNUAL_MILEAGE
    ),
) -> SwapOut:
    ownership = records.get_for_owner(session, user.user_id, reference)
    ask = swap.SwapAsk(vin, product, term_months, appraisal, cash_down, annual_mileage)
    return swap_out(swap.swap_view(session, ownership, ask, utcnow()))

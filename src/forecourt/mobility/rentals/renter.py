"""What the renter's pages read of a rental besides the rental itself: the licence rule's last day, the pick-up
window, whether they may return the car themself, the deposit they would pay, and verifying a licence for it.

The rules are the test drive's (`testdrive.rules`): a licence must be valid on the rental's last local day, the keys
are collected inside the store's pick-up window, and a self-service store lets the renter return the car without
staff. Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from forecourt.core.crypto import FieldCipher
from forecourt.identity import service as identity
from forecourt.identity.credit import CreditScoreProvider
from forecourt.identity.models import DriverVerification
from forecourt.identity.providers import IdentityClaim, IdentityProvider
from forecourt.mobility.rentals import service as rentals
from forecourt.mobility.rentals.service import RentalView
from forecourt.testdrive import lifecycle
from forecourt.testdrive import policy as policies
from forecourt.testdrive.models import BookingStatus
from forecourt.testdrive.rules import pickup_window


@dataclass(frozen=True)
class BillLine:
    code: str
    quantity: int
    unit: str
    amount: Decimal


@dataclass(frozen=True)
class RenterView:
    """A rental as its renter's page shows it: the rental, and what the next step needs."""

    shown: RentalView
    verification: DriverVerification | None
    deposit_kind: str  # what confirm would take now: 'waived' or 'deposit'
    deposit_reason: str
    deposit: Decimal
    last_day: date  # the rental's last local day: the licence must be valid on it
    pickup_opens: datetime
    pickup_closes: datetime
    self_return: bool  # a self-service store: the renter returns the car themself
    refund_now: Decimal  # what the renter's own cancel would refund of the time charge now

    @property
    def zone(self) -> str:
        return self.shown.store.time_zone

    @property
    def bill(self) -> list[BillLine]:
        return [
            BillLine(line["code"], int(line["quantity"]), line["unit"], Decimal(line["amount"]))
            for line in self.shown.rental.bill
        ]


def last_day(shown: RentalView) -> date:
    return shown.reservation.ends_at.astimezone(ZoneInfo(shown.store.time_zone)).date()


def renter_view(session: Session, user_id: int, reference: str, *, now: datetime) -> RenterView:
    shown = rentals.view(session, rentals.get_own_rental(session, user_id, reference), now=now)
    policy = policies.store_policy(session, shown.store)
    kind, reason, deposit = rentals.deposit_for(session, shown.rental)
    opens, closes = pickup_window(shown.reservation.starts_at, policy)
    refund = Decimal("0.00")
    if shown.reservation.status == BookingStatus.CONFIRMED.value:
        refund = rentals.cancellation_preview(session, shown.rental, now=now)
    return RenterView(
        shown,
        identity.get_verification(session, user_id),
        kind.value,
        reason,
        deposit,
        last_day(shown),
        opens,
        closes,
        policy.self_service_enabled,
        refund,
    )


def verify_driver_for_rental(
    session: Session,
    user_id: int,
    reference: str,
    claim: IdentityClaim,
    *,
    identity_provider: IdentityProvider,
    credit: CreditScoreProvider,
    secret_key: str,
    cipher: FieldCipher,
    now: datetime,
) -> DriverVerification:
    """Verify (or replace) the renter's licence for one of their rentals: valid on the rental's last local day, as for
    a test drive (`lifecycle.verify_driver_until`)."""
    shown = rentals.view(session, rentals.get_own_rental(session, user_id, reference), now=now)
    return lifecycle.verify_driver_until(
        session,
        user_id,
        claim,
        last_day(shown),
        ends="rental",
        identity_provider=identity_provider,
        credit=credit,
        secret_key=secret_key,
        cipher=cipher,
        today=now.date(),
    )

"""Vehicle status lifecycle: which status changes are legal. Pure; no web or ORM imports."""

from __future__ import annotations

from enum import StrEnum


class VehicleStatus(StrEnum):
    IN_TRANSIT = "in_transit"
    AVAILABLE = "available"
    RESERVED = "reserved"
    SOLD = "sold"
    # Serving in the rental or subscription fleet: not for sale. Reached and left only by a fleet-pool move
    # (`mobility.pools`), which keeps the status and the pool in step; the constraint on the table checks it.
    IN_SERVICE = "in_service"


# available -> in_transit covers transfers between stores; reserved -> available releases a reservation.
# sold is final: a returned car comes back as a new stock entry, never by reopening the sale.
ALLOWED_TRANSITIONS: dict[VehicleStatus, frozenset[VehicleStatus]] = {
    VehicleStatus.IN_TRANSIT: frozenset({VehicleStatus.AVAILABLE}),
    VehicleStatus.AVAILABLE: frozenset({VehicleStatus.RESERVED, VehicleStatus.IN_TRANSIT}),
    VehicleStatus.RESERVED: frozenset({VehicleStatus.AVAILABLE, VehicleStatus.SOLD}),
    VehicleStatus.SOLD: frozenset(),
    VehicleStatus.IN_SERVICE: frozenset(),
}


# What a shopper may do with a car: quote it, pre-qualify or apply for credit on it, reserve it. Only a car that is
# available is on sale; an in-transit car becomes so when it reaches its store, a reserved one if its order is
# cancelled. The quote, credit and order use cases refuse any other status up front (409), and the pages offer
# those actions only for a car on sale, so no page offers a step that a later one refuses.
ON_SALE: frozenset[VehicleStatus] = frozenset({VehicleStatus.AVAILABLE})


def is_on_sale(status: str) -> bool:
    return status in ON_SALE


class IllegalTransition(ValueError):
    def __init__(self, current: VehicleStatus, target: VehicleStatus) -> None:
        allowed = sorted(s.value for s in ALLOWED_TRANSITIONS[current])
        if current is VehicleStatus.IN_SERVICE or target is VehicleStatus.IN_SERVICE:
            hint = "a car enters and leaves the rental and subscription fleets by a fleet-pool move"
        else:
            hint = f"allowed next: {', '.join(allowed)}" if allowed else f"{current.value} is final"
        super().__init__(f"a vehicle cannot go from {current.value} to {target.value} ({hint})")
        self.current = current
        self.target = target


def check_transition(current: VehicleStatus, target: VehicleStatus) -> None:
    """Raise IllegalTransition unless current -> target is allowed; staying in place is always allowed."""
    if current != target and target not in ALLOWED_TRANSITIONS[current]:
        raise IllegalTransition(current, target)


class FleetPool(StrEnum):
    """What a car is used for. For sale: on sale to shoppers. Test drive: shoppers drive it before buying (and it
    stays on sale, as an ex-demo car). Rental and subscription: the mobility services use it, and it is not for sale
    (its status is `in_service`). One reservation table keeps every use of a car apart, whatever its pool."""

    SALE = "sale"
    TEST_DRIVE = "test_drive"
    RENTAL = "rental"
    SUBSCRIPTION = "subscription"


IN_SERVICE_POOLS: frozenset[FleetPool] = frozenset({FleetPool.RENTAL, FleetPool.SUBSCRIPTION})


def status_in_pool(pool: FleetPool, status: VehicleStatus) -> VehicleStatus:
    """The status a car takes when it moves to `pool`: `in_service` in the mobility fleets, `available` back out."""
    if pool in IN_SERVICE_POOLS:
        return VehicleStatus.IN_SERVICE
    return VehicleStatus.AVAILABLE if status is VehicleStatus.IN_SERVICE else status

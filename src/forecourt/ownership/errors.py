"""The ownership context's refusals, each with its stable code (clients and pages switch on the code).

| code | status | when |
| --- | --- | --- |
| ownership_not_found | 404 | no such ownership, or not the caller's (an owner never learns of another's car) |
| store_forbidden | 403 | staff of another store |
| vin_already_owned | 409 | the VIN has a current ownership already (the unique partial index says so) |
| vehicle_on_sale | 409 | the VIN is a car in Forecourt's stock that is not sold |
| ownership_not_current | 409 | transferring or ending an ownership that has already passed on or ended |
| invalid_contract | 422 | contract terms the finance calc refuses, or a missing term |
| owner_not_found | 422 | no account with that e-mail or mobile |
| same_owner | 422 | a transfer to the current owner |
| not_a_lease | 409 | lease mileage asked of a contract without an allowance |
| lease_end_not_due | 409 | a swap quote asked for before the lease-end options open (120 days before the end) |
| invalid_swap | 422 | a swap's product, term, mileage, appraisal or cash amount out of bounds |
| vehicle_not_for_sale | 422 | a swap into a VIN that is no car for sale (unknown, sold, reserved) |
| product_not_offered | 422 | a swap into a product the finance provider offers on no term for that car |
| term_not_offered | 422 | a swap over a term with no program of the product for that car (the terms offered are named) |
"""

from __future__ import annotations

from datetime import date
from typing import Any

from forecourt.core.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound


class OwnershipNotFound(NotFound):
    def __init__(self, reference: str) -> None:
        super().__init__(f"No ownership {reference}", code="ownership_not_found")


class StoreForbidden(Forbidden):
    def __init__(self, reference: str) -> None:
        super().__init__(f"Ownership {reference} belongs to a store that is not one of yours", code="store_forbidden")


class VinAlreadyOwned(Conflict):
    def __init__(self, vin: str) -> None:
        super().__init__(
            f"Vehicle {vin} already has a current owner; transfer or end that ownership first",
            code="vin_already_owned",
            extra={"vin": vin},
        )


class VehicleOnSale(Conflict):
    def __init__(self, vin: str, status: str) -> None:
        super().__init__(
            f"Vehicle {vin} is in stock here ({status}); sell it through an order instead of registering it",
            code="vehicle_on_sale",
            extra={"vin": vin, "vehicle_status": status},
        )


class NotCurrent(Conflict):
    def __init__(self, reference: str, status: str) -> None:
        super().__init__(
            f"Ownership {reference} is {status}; only a current ownership can be transferred or ended",
            code="ownership_not_current",
            extra={"ownership_status": status},
        )


class InvalidContract(InvalidInput):
    def __init__(self, message: str, field: str = "contract", value: Any = None) -> None:
        super().__init__(
            f"The contract terms cannot be priced: {message}",
            code="invalid_contract",
            errors=[FieldError(field, message, value)],
        )


class OwnerNotFound(InvalidInput):
    def __init__(self, field: str = "owner") -> None:
        super().__init__(
            "No account has that e-mail address or mobile number; ask the owner to sign up first",
            code="owner_not_found",
            errors=[FieldError(field, "no such account")],
        )


class SameOwner(InvalidInput):
    def __init__(self) -> None:
        super().__init__(
            "The new owner is the current owner", code="same_owner", errors=[FieldError("new_owner", "same owner")]
        )


class NotALease(Conflict):
    def __init__(self, reference: str) -> None:
        super().__init__(
            f"Ownership {reference} has no lease with a km allowance",
            code="not_a_lease",
            extra={"reference": reference},
        )


class LeaseEndNotDue(Conflict):
    def __init__(self, reference: str, opens_on: date) -> None:
        super().__init__(
            f"The lease-end options of {reference} open 120 days before the end, on {opens_on.isoformat()}",
            code="lease_end_not_due",
            extra={"opens_on": opens_on.isoformat()},
        )


class InvalidSwap(InvalidInput):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("The swap request has invalid fields; see errors.", code="invalid_swap", errors=errors)


class VehicleNotForSale(InvalidInput):
    def __init__(self, vin: str, why: str) -> None:
        super().__init__(
            f"{vin} is not a car for sale: {why}",
            code="vehicle_not_for_sale",
            errors=[FieldError("vin", "no car for sale has this VIN", vin)],
        )


class ProductNotOffered(InvalidInput):
    def __init__(self, product: str, message: str) -> None:
        super().__init__(message, code="product_not_offered", errors=[FieldError("product", message, product)])


class TermNotOffered(InvalidInput):
    def __init__(self, term_months: int, message: str, offered_terms: list[int]) -> None:
        super().__init__(
            message,
            code="term_not_offered",
            errors=[FieldError("term_months", message, term_months)],
            extra={"offered_terms": offered_terms},
        )

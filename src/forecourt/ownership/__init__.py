"""Ownership: the owner's garage, lease mileage and lease end, service schedules, service bookings and recalls.

Sub-packages by responsibility: `garage/` (the car's records: odometer readings), `leases/` (mileage projection,
pace warnings, lease-end options), `servicing/` (schedules, reminders, fault-code visits). The modules named in
pyproject's "Pure calculation modules" contract import no web or ORM code.
"""

"""Leases and lease-to-own contracts from the owner's side: mileage projection, pace warnings, lease-end options."""

"""Payments: pluggable payment providers and the record of each charge and refund."""

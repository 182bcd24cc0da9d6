"""Quotes: priced loan, balloon, lease and lease-to-own offers for a car, their disclosures, PDF and payment search."""

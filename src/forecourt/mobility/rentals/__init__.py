"""Rentals by the hour and the day from the rental pool: hold, confirm, pick-up, return, bill."""

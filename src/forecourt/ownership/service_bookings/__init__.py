"""Service booking at a dealer: bays, advisors, job types, slots, hold → confirm, the staff calendar, completion."""

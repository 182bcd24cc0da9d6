"""Watching a car while someone else has it (a self-service test drive, later a rental): rules, alerts, notices."""

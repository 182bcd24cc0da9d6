"""Servicing: schedules as data, the next service predicted from the odometer, reminders, fault-code visits."""

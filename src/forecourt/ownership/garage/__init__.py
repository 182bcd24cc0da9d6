"""The owner's garage: what is recorded about each car (today: its odometer readings, checked)."""

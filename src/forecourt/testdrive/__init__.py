"""Test drives: availability, hold → confirm bookings, self-service pick-up and return."""

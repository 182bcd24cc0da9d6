"""Orders: reserving a car on an approved finance application, deposits, cancellation and refunds."""

"""Monthly car subscriptions from the subscription fleet: credit check, a car of the class, swaps, pauses, notice,
monthly invoices."""

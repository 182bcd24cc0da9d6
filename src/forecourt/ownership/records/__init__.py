"""Who owns which car: ownerships from completed orders or registered by staff, transfers and ends, history per VIN."""

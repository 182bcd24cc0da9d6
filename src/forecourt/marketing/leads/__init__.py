"""Leads: interested shoppers, routed to a store, followed up by staff, scored."""

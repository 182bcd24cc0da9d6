"""Recall campaigns: who is affected (VIN list, VIN range, model and year), notified once, fixed as service jobs."""

"""Mobility services: fleet pools, rental and subscription from the same fleet."""

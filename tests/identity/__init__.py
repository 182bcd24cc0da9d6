"""Tests of driver identity: ID numbers and identity-check providers."""

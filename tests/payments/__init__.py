"""Tests of payment providers."""

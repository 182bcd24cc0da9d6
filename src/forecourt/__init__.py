"""Forecourt: automotive new-retail platform."""

__version__ = "0.1.0"

"""Placeholder: filled in by the finance work."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

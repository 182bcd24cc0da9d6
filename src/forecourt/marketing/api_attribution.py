"""(scaffold: routes are added by the marketing work in progress)"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

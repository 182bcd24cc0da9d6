"""All test-drive pages as one router for the app: the shopper's (`shopper_pages`) and the back office's
(`staff_pages`); what they share is in `page_support`."""

from __future__ import annotations

from fastapi import APIRouter

from forecourt.testdrive import shopper_pages, staff_pages

router = APIRouter()
router.include_router(shopper_pages.router)
router.include_router(staff_pages.router)

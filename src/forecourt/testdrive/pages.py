"""All test-drive pages as one router for the app: the shopper's (`shopper_pages`, and `change_pages` for cancel
and reschedule) and the back office's (`staff_pages`); what they share is in `page_support`."""

from __future__ import annotations

from fastapi import APIRouter

from forecourt.testdrive import change_pages, shopper_pages, staff_pages

router = APIRouter()
router.include_router(shopper_pages.router)
router.include_router(change_pages.router)
router.include_router(staff_pages.router)

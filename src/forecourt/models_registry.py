"""Imports every context's tables so Base.metadata is complete (Alembic, tests)."""

from __future__ import annotations


def import_all_models() -> None:
    import forecourt.accounts.models  # noqa: F401
    import forecourt.audit.models  # noqa: F401
    import forecourt.catalog.models  # noqa: F401
    import forecourt.core.idempotency  # noqa: F401
    import forecourt.core.job_runs  # noqa: F401
    import forecourt.core.outbox  # noqa: F401
    import forecourt.finance.models  # noqa: F401
    import forecourt.identity.models  # noqa: F401
    import forecourt.marketing.leads.models  # noqa: F401
    import forecourt.marketing.models  # noqa: F401
    import forecourt.mobility.models  # noqa: F401
    import forecourt.ownership.models  # noqa: F401
    import forecourt.ownership.recalls.models  # noqa: F401
    import forecourt.ownership.service_bookings.models  # noqa: F401
    import forecourt.ownership.servicing.models  # noqa: F401
    import forecourt.payments.models  # noqa: F401
    import forecourt.telematics.models  # noqa: F401
    import forecourt.telematics.watching.models  # noqa: F401
    import forecourt.testdrive.models  # noqa: F401

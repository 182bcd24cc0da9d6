"""Tables of watching: one watch per car while it is out, and the alerts its rules raised.

Both "once" guarantees live in the database, not in the workers: a car has at most one open watch (a partial
unique index), and an alert is stored once per (watch, key) — so two ingest workers that see the same sample,
or two job passes that see the same overdue drive, raise (and notify) it once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from forecourt.core.db import Base, UTCDateTime


class VehicleWatch(Base):
    __tablename__ = "vehicle_watches"
    __table_args__ = (
        Index(
            "uq_vehicle_watches_open",
            "vehicle_id",
            unique=True,
            postgresql_where=text("closed_at IS NULL"),
            sqlite_where=text("closed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the car is out for, e.g. "test_drive:TD7K2M9QX4": the owning context's reference, unique.
    subject: Mapped[str] = mapped_column(String(40), unique=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id", ondelete="CASCADE"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    return_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # the overdue job's query
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    rules: Mapped[dict[str, object]] = mapped_column(JSON)  # watching.rules.rules_to_json
    codes_at_start: Mapped[list[str]] = mapped_column(JSON, default=list)  # fault codes already open: not "new"
    odometer_start_m: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    notify: Mapped[list[str]] = mapped_column(JSON, default=list)  # e-mail addresses of the store's staff
    link: Mapped[str] = mapped_column(String(200), default="")  # the owning context's page, put in the notices


class WatchAlert(Base):
    __tablename__ = "watch_alerts"
    __table_args__ = (UniqueConstraint("watch_id", "key", name="uq_watch_alerts_watch_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    watch_id: Mapped[int] = mapped_column(ForeignKey("vehicle_watches.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))  # "geofence_exit", "fault_code:P0301", …
    kind: Mapped[str] = mapped_column(String(20))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when it happened in the car
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)

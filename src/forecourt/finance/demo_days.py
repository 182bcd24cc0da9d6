"""What the finance demos (`credit_demo.py`, `orders/demo.py`) share: the moment of a step of a customer's story, the
demo store's cars for sale, and the app's cipher. Nothing here writes."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from forecourt.catalog import service as catalog
from forecourt.catalog.lifecycle import VehicleStatus
from forecourt.catalog.models import Store, Vehicle
from forecourt.core.crypto import FieldCipher, field_cipher_from_config
from forecourt.core.settings import Settings

LATEST = timedelta(hours=1)  # a step of today happens at least this long before the demo loads
MAX_CARS = 2000  # more than any demo store has for sale


def moment(store: Store, now: datetime, day: int, at: time) -> datetime:
    """`at` on the store's day `day` (0 today, -1 yesterday); a step of today not yet come happens an hour before
    `now`, so a demo loaded early in the morning still shows it done."""
    zone = ZoneInfo(store.time_zone)
    when = datetime.combine(now.astimezone(zone).date() + timedelta(days=day), at, zone)
    return min(when, now - LATEST) if day >= 0 else when


@dataclass
class CarsForSale:
    """The store's cars for sale (not its fleets), read once — the catalog's query loads whole cars, a tenth of a second
    each time — and handed out one at a time. Their statuses stay current: the demo changes them through this
    session, whose identity map holds these very objects."""

    cars: list[Vehicle]
    taken: set[int] = field(default_factory=set)

    @classmethod
    def at(cls, session: Session, store: Store, taken: Collection[int] = ()) -> CarsForSale:
        cars = catalog.list_vehicles_for_sale_at_store(session, store.id, limit=MAX_CARS)
        return cls(sorted(cars, key=lambda v: v.id), set(taken))

    def on_sale(self) -> list[Vehicle]:
        return [v for v in self.cars if v.status == VehicleStatus.AVAILABLE.value]

    def take(self, models: Sequence[str]) -> Vehicle | None:
        """The first car on sale (by id) of the first of `models` that has one, else of any model, that the demo has
        not handed out yet; None when there is none."""
        free = [v for v in self.on_sale() if v.id not in self.taken]
        ranked = [next((v for v in free if v.model.code == model), None) for model in models]
        car = next((v for v in ranked if v is not None), free[0] if free else None)
        if car is not None:
            self.taken.add(car.id)
        return car


def cipher(settings: Settings) -> FieldCipher:
    """The cipher the app builds from the same settings, so the pages open what the demo sealed."""
    return field_cipher_from_config(
        settings.field_encryption_keys.get_secret_value(), settings.secret_key.get_secret_value()
    )

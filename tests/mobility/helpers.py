"""Shared cases for the billing tests: rental rates and a booked rental, subscription classes and a period."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from forecourt.mobility.billing import ClassTerms, RentalRates, Segment, period_invoice, rental_bill

D = Decimal
CST = timezone(timedelta(hours=8))
START = datetime(2026, 3, 2, 9, 0, tzinfo=CST)
DUE = START + timedelta(days=2, hours=3)  # 2 days 3 h: 400.00 + 90.00, 660 km included
RATES = RentalRates(
    hourly=D("30.00"),
    daily=D("200.00"),
    km_per_hour=20,
    km_per_day=300,
    per_km_over=D("1.20"),
    late_per_hour=D("50.00"),
    late_grace_minutes=30,
    energy_per_percent=D("3.00"),
    free_cancel_hours=24,
    late_cancel_keep_percent=30,
)
FOCUS = ClassTerms("focus", D("3000.00"), 1500, D("0.80"))
KUGA = ClassTerms("kuga", D("4200.00"), 2000, D("1.00"))
APRIL = (date(2026, 4, 1), date(2026, 4, 30))


def bill(rates=RATES, **changes):
    arguments = {
        "start": START,
        "due": DUE,
        "returned_at": DUE,
        "odometer_out_km": 10_000,
        "odometer_in_km": 10_500,
        "energy_out_percent": 80,
        "energy_in_percent": 80,
        "damage_charge": D("0"),
    }
    return rental_bill(rates, **(arguments | changes))


def invoice(period=APRIL, segments=None, *, km_driven, km_carried_in=0, cap=500, swap_fees=(), pause_fee="20.00"):
    return period_invoice(
        period_first_day=period[0],
        period_last_day=period[1],
        segments=segments if segments is not None else [Segment(FOCUS, *period)],
        km_driven=km_driven,
        km_carried_in=km_carried_in,
        rollover_cap_km=cap,
        swap_fees=[D(fee) for fee in swap_fees],
        pause_fee_per_day=D(pause_fee),
    )

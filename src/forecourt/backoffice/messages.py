"""Translatable texts of the back office that come from the catalog's checks (fixed English sentences)."""

from __future__ import annotations

from forecourt.web.i18n import N_

# The catalog's field messages (catalog/edits.py), repeated here so that pybabel extracts them.
SERVICE_MESSAGES = (
    N_("Enter an amount such as 189800 or 189,800.00."),
    N_("The offer price cannot be above the list price."),
    N_("The offer price must be above zero."),
    N_("Enter the mileage as a whole number of kilometres, 0 or more."),
    N_("Choose one of this model's colours."),
    N_("Each photo must be a web address starting with https://, http:// or /."),
    N_("Give at most 20 photos."),
    N_("Enter times as HH:MM, for example 09:00."),
    N_("The opening time must be before the closing time."),
    N_("The two opening periods of a day must not overlap."),
    N_("Give both an opening and a closing time, or neither."),
    N_("Enter a phone number of digits, spaces, hyphens and an optional leading +."),
    N_("Unknown weekday."),
    N_("This car serves the rental or subscription fleet; move it on the fleet page first."),
)
ILLEGAL_STATUS = N_("This status change is not allowed from the vehicle's current status.")
ROLE_NAMES = {
    "shopper": N_("Shopper"),
    "store_staff": N_("Store staff"),
    "finance_officer": N_("Finance officer"),
    "marketer": N_("Marketer"),
    "admin": N_("Administrator"),
}

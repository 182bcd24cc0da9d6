"""The fixed sentences of the recall-campaign checks (pure: no web, no ORM).

`targeting` (which cars a recall covers) and `campaign_form` (the back-office form) report their problems with these
keys, so the API gets the English sentence and the page shows it in its language; the msgids are extracted by pybabel
through `N_` (web/babel.cfg lists this module). A sentence with `%(vins)s` is formatted after it is translated.
"""

from __future__ import annotations

from forecourt.core.i18n_marks import N_

MESSAGES = {
    "code": N_("Give the maker's campaign number: 1–20 letters, digits, hyphens or underscores, e.g. S-2026-031."),
    "code_taken": N_("A recall campaign with this code exists already."),
    "title": N_("Enter a title of at most 200 characters."),
    "remedy": N_("Enter a remedy of at most 2,000 characters."),
    "target": N_("Choose how the recall names its cars: a VIN list, a VIN range, or a model and its years."),
    "vins_empty": N_("List at least one VIN."),
    "vins_bad": N_("Not a 17-character VIN: %(vins)s."),
    "vins_too_many": N_("List at most 10,000 VINs; split a longer list into VIN ranges."),
    "vin_end": N_("Give this end of the range as a 17-character VIN."),
    "vin_family": N_("Both ends must share positions 1–8 and 10–11 (maker, model, year and plant)."),
    "vin_order": N_("The range ends before it starts."),
    "model": N_("Name the model by its code, e.g. kuga."),
    "year": N_("Enter a model year from 1990 to 2100, or leave it empty for every year on that side."),
    "year_order": N_("The last model year is before the first."),
}

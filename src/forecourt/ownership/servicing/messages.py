"""The fixed sentences of the service-schedule file checks (pure: no web, no ORM).

Problems a schedule file shares with rate-program files (a required field, a whole number, a model code, a single
value) use finance.programs.messages' sentences, already translated; these are the schedule's own. The msgids are
marked with `N_` for pybabel; web/babel.cfg lists this module once pages show them.
"""

from __future__ import annotations

from forecourt.core.i18n_marks import N_
from forecourt.finance.programs.messages import MESSAGES as SHARED_MESSAGES

OWN_MESSAGES = {
    "powertrain": N_("Choose ice, hybrid, phev or bev, or leave it empty for every powertrain."),
    "interval_km": N_("Enter the interval in kilometres, a whole number from 1 to 100,000."),
    "interval_months": N_("Enter the interval in months, a whole number from 1 to 60."),
}
MESSAGES = {**SHARED_MESSAGES, **OWN_MESSAGES}

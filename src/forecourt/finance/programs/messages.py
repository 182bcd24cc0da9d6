"""The fixed sentences of the rate-program and residual-file checks (pure: no web, no ORM).

`files` (programs) and `residual_files` (residual tables) both report their problems with these, so pages can show
them translated; the msgids are extracted by pybabel through `N_` (web/babel.cfg lists this module).
"""

from __future__ import annotations

from forecourt.core.i18n_marks import N_

# Fixed sentences, so pages can show them translated (msgids for pybabel through N_).
MESSAGES = {
    "required": N_("This field is required."),
    "code": N_("Use 1–60 lowercase letters, digits, dots, hyphens or underscores, e.g. loan-36-escort."),
    "product": N_("Choose loan, balloon, lease or lease_to_own."),
    "name": N_("Enter a name of at most 120 characters."),
    "model_code": N_("Enter a model code such as escort, or leave it empty for every model."),
    "trim_code": N_("Enter a trim code of that model, or leave it empty for every trim."),
    "trim_needs_model": N_("A trim applies to one model: give the model code too."),
    "term": N_("Enter a term of 1 to 120 months."),
    "whole_number": N_("Enter a whole number."),
    "tier": N_("Enter * for every credit tier, or a tier name such as A."),
    "number": N_("Enter a number written with digits and a decimal point, e.g. 0.0399."),
    "rate": N_("Enter a rate as a fraction from 0 up to (not including) 1, e.g. 0.0399 (3.99%)."),
    "rate_places": N_("Give a rate with at most 6 decimal places."),
    "money_factor": N_("Enter a money factor above 0 and below 1 with at most 8 decimal places, e.g. 0.0015."),
    "money_factor_lease_only": N_("Only leases have a money factor; leave it empty."),
    "money_factor_needed": N_("A lease needs a money factor, e.g. 0.0015."),
    "percent": N_("Enter a fraction from 0 to 1 with at most 4 decimal places, e.g. 0.20 (20%)."),
    "balloon_only": N_("Only balloon loans have a balloon; enter 0."),
    "balloon_needed": N_("A balloon loan needs a maximum balloon above 0 and below 1, e.g. 0.40."),
    "down_plus_balloon": N_("The minimum down payment and the balloon together cannot exceed the whole price."),
    "subvention_by": N_("Choose dealer or oem, or leave it empty when there is no subvention."),
    "subvention_who": N_("Say who pays the subvention (dealer or oem)."),
    "subvention_none": N_("There is no subvention rate, so leave who pays it empty."),
    "money": N_("Enter an amount from 0 with at most two decimal places, e.g. 3000 or 3000.00."),
    "purchase_price_lto_only": N_("Only lease-to-own programs have a purchase price; enter 0."),
    "disposition_fee_lease_only": N_("Only leases have a disposition fee; enter 0."),
    "excess_km_rate": N_(
        "Enter the charge per km over the allowance in CNY, above 0 and at most 10, with at most 4 decimal places, "
        "e.g. 0.50."
    ),
    "excess_km_rate_lease_only": N_(
        "Only leases and lease-to-own programs have a charge per km over the allowance; leave it empty."
    ),
    "date": N_("Enter a date as YYYY-MM-DD, e.g. 2026-01-01."),
    "date_window": N_("Enter a date from 2000-01-01 to 2100-12-31."),
    "date_order": N_("The first valid day must be on or before the last valid day."),
    "mileage": N_("Enter the yearly mileage in kilometres, a whole number from 1 to 200,000."),
    "residual": N_("Enter a residual as a fraction above 0 and below 1 with at most 4 decimal places, e.g. 0.55."),
    "single_value": N_("Give a single value here, not a list or a mapping."),
    "unknown_model": N_("No model with this code in the catalog."),
    "unknown_trim": N_("No trim with this code for this model."),
    "unknown_tier": N_("The provider's rule set has no such credit tier."),
}

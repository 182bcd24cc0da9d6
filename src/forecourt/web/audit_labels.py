"""What the audit log shows a person: each event's action, object and details in words, as gettext msgids.

The trail stores stable codes ("order.reserved", {"from": "available"}) so that it can be searched and exported;
the page reads them out. An action, object type, detail or value without a label here is shown as its code
(tests/web/test_chinese_pages.py finds the ones the demo produces).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from forecourt.web.i18n import N_

ACTIONS = {
    "auth.password_reset": N_("Password reset"),
    "auth.password_reset_link_opened": N_("Password reset link opened"),
    "auth.password_reset_requested": N_("Password reset requested"),
    "auth.sign_in_failed": N_("Sign-in failed"),
    "auth.sign_in_rate_limited": N_("Sign-in attempts limited"),
    "auth.sign_up_existing": N_("Sign-up with an existing account"),
    "auth.signed_in": N_("Signed in"),
    "auth.signed_out": N_("Signed out"),
    "auth.signed_up": N_("Signed up"),
    "campaign.created": N_("Campaign created"),
    "campaign.updated": N_("Campaign changed"),
    "campaign_spend.imported": N_("Campaign spend imported"),
    "credit_application.created": N_("Credit application submitted"),
    "credit_application.overridden": N_("Credit decision overridden"),
    "credit_application.viewed": N_("Credit application viewed"),
    "driver.premium_membership_set": N_("Premium membership changed"),
    "driver.verification_checked": N_("Driver verification checked"),
    "finance.program_created": N_("Rate program created"),
    "finance.program_retired": N_("Rate program retired"),
    "finance.program_versioned": N_("Rate program changed"),
    "finance.programs_imported": N_("Rate programs imported"),
    "finance.residuals_replaced": N_("Residual values replaced"),
    "inventory.imported": N_("Inventory imported"),
    "lead.contact_revealed": N_("Lead contact details revealed"),
    "lead.stage_changed": N_("Lead stage changed"),
    "marketing_events.imported": N_("Marketing events imported"),
    "order.cancelled": N_("Order cancelled"),
    "order.completed": N_("Order completed"),
    "order.confirmed": N_("Order confirmed"),
    "order.reserved": N_("Car reserved"),
    "ownership.ended": N_("Ownership ended"),
    "ownership.history_viewed": N_("Ownership history viewed"),
    "ownership.started": N_("Ownership started"),
    "ownership.transferred": N_("Ownership transferred"),
    "ownership.viewed": N_("Ownership viewed"),
    "quote.claimed": N_("Quote claimed"),
    "recall.created": N_("Recall campaign opened"),
    "role.granted": N_("Role granted"),
    "role.revoked": N_("Role revoked"),
    "service.advisor_added": N_("Service advisor added"),
    "service.bay_added": N_("Service bay added"),
    "service.cancelled": N_("Service job cancelled"),
    "service.completed": N_("Service job completed"),
    "service.confirmed": N_("Service job confirmed"),
    "service.held": N_("Service slot held"),
    "servicing.schedules_imported": N_("Service schedules imported"),
    "store.updated": N_("Store settings changed"),
    "telemetry.viewed": N_("Telemetry viewed"),
    "testdrive.cancelled": N_("Test drive cancelled"),
    "testdrive.checked_in": N_("Test drive checked in"),
    "testdrive.checked_out": N_("Test drive checked out"),
    "testdrive.confirmed": N_("Test drive confirmed"),
    "testdrive.courtesy_cancelled": N_("Courtesy car cancelled"),
    "testdrive.courtesy_held": N_("Courtesy car held"),
    "testdrive.courtesy_returned": N_("Courtesy car returned"),
    "testdrive.held": N_("Test drive slot held"),
    "testdrive.no_show": N_("Test drive no-show"),
    "testdrive.pickup_code_reissued": N_("Pick-up code reissued"),
    "testdrive.policy_updated": N_("Test drive rules changed"),
    "testdrive.rescheduled": N_("Test drive rescheduled"),
    "token.created": N_("API token created"),
    "token.revoked": N_("API token revoked"),
    "vehicle.status_changed": N_("Vehicle status changed"),
    "vehicle.updated": N_("Vehicle changed"),
}
OBJECTS = {
    "api_token": N_("API token"),
    "campaign": N_("Campaign"),
    "campaign_spend": N_("Campaign spend"),
    "credit_application": N_("Credit application"),
    "inventory_import": N_("Inventory import"),
    "ip": N_("IP address"),
    "lead": N_("Lead"),
    "marketing_events": N_("Marketing events"),
    "order": N_("Order"),
    "ownership": N_("Ownership"),
    "quote": N_("Quote"),
    "rate_program": N_("Rate program"),
    "recall": N_("Recall campaign"),
    "residual_table": N_("Residual values"),
    "service_job": N_("Service job"),
    "service_schedules": N_("Service schedules"),
    "store": N_("Store"),
    "test_drive": N_("Test drive"),
    "user": N_("User"),
    "vehicle": N_("Vehicle"),
}
DETAILS = {
    "accepted": N_("Accepted"),
    "advisor": N_("Service advisor"),
    "after": N_("After"),
    "amount": N_("Amount"),
    "application": N_("Application"),
    "bay": N_("Service bay"),
    "before": N_("Before"),
    "budget": N_("Budget"),
    "by_store": N_("By store"),
    "changes": N_("Changes"),
    "channel": N_("Channel"),
    "consents": N_("Consents"),
    "created": N_("Created"),
    "deposit": N_("Deposit"),
    "duplicates": N_("Duplicates"),
    "end": N_("End"),
    "fields": N_("Fields"),
    "forfeited": N_("Forfeited"),
    "from": N_("From"),
    "id_number_revealed": N_("ID number revealed"),
    "inquiry": N_("Credit inquiry"),
    "kind": N_("Kind"),
    "late_fee": N_("Late fee"),
    "name": N_("Name"),
    "odometer_km": N_("Odometer (km)"),
    "on": N_("On"),
    "order": N_("Order"),
    "outcome": N_("Outcome"),
    "premium": N_("Premium member"),
    "previous": N_("Previous"),
    "previous_version": N_("Previous version"),
    "problems": N_("Problems"),
    "product": N_("Product"),
    "provider": N_("Finance provider"),
    "quote": N_("Quote"),
    "reason": N_("Reason"),
    "reasons": N_("Reasons"),
    "refund": N_("Refund"),
    "refund_reason": N_("Refund reason"),
    "rejected": N_("Rejected"),
    "replaced": N_("Replaced"),
    "report_id": N_("Problem report"),
    "role": N_("Role"),
    "rows": N_("Rows"),
    "session_id": N_("Session"),
    "sessions_revoked": N_("Sessions ended"),
    "source": N_("Source"),
    "start": N_("Start"),
    "target": N_("Target"),
    "tier": N_("Credit tier"),
    "to": N_("To"),
    "total": N_("Total"),
    "unchanged": N_("Unchanged"),
    "updated": N_("Updated"),
    "values": N_("Values"),
    "verified": N_("Verified"),
    "version": N_("Version"),
    "via": N_("Via"),
    "view": N_("Viewed"),
    "vin": N_("VIN"),
}
# Codes that appear as detail values; a value without a label (a reference, an amount, a name) is shown as it is.
VALUES = {
    "available": N_("Available"),
    "in_transit": N_("In transit"),
    "reserved": N_("Reserved"),
    "sold": N_("Sold"),
    "cash": N_("Cash"),
    "loan": N_("Loan"),
    "lease": N_("Lease"),
    "balloon": N_("Balloon loan"),
    "lto": N_("Lease to own"),
    "approved": N_("Approved"),
    "declined": N_("Declined"),
    "conditional": N_("Conditionally approved"),
    "manual_review": N_("Manual review"),
    "application": N_("Credit application"),
    "prequalification": N_("Pre-qualification"),
    "hard": N_("Hard inquiry"),
    "soft": N_("Soft inquiry"),
    "credit_check": N_("Credit check"),
    "share_with_provider": N_("Share with the finance provider"),
    "page": N_("Page"),
    "registered": N_("Registered here"),
    "order": N_("Order"),
    "demo": N_("Demo data"),
    "store_staff": N_("Store staff"),
    "admin": N_("Administrator"),
    "finance_officer": N_("Finance officer"),
    "marketer": N_("Marketer"),
    "shopper": N_("Shopper"),
    "new": N_("New"),
    "contacted": N_("Contacted"),
    "qualified": N_("Qualified"),
    "won": N_("Won"),
    "lost": N_("Lost"),
    "true": N_("Yes"),
    "false": N_("No"),
}


def readable_details(details: Mapping[str, Any], gettext: Callable[[str], str]) -> list[tuple[str, str]]:
    """(label, value) pairs of an event's details, in the reader's language; nested values are flattened."""
    return [(gettext(DETAILS.get(key, key)), _value(value, gettext)) for key, value in sorted(details.items())]


def _value(value: Any, gettext: Callable[[str], str]) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        value = str(value).lower()
    if isinstance(value, Mapping):
        return "; ".join(f"{gettext(DETAILS.get(k, k))}: {_value(v, gettext)}" for k, v in sorted(value.items()))
    if isinstance(value, list | tuple):
        return gettext(", ").join(_value(item, gettext) for item in value)
    text = str(value)
    kind, _, reference = text.partition(":")
    if reference and kind in OBJECTS:  # "test_drive:TD…": the object a view was of
        return f"{gettext(OBJECTS[kind])} {reference}"
    return gettext(VALUES[text]) if text in VALUES else text

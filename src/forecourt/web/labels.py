"""Display names of catalog enum values, as gettext msgids (translated where shown).

The search facets carry their own bilingual labels from the catalog service; these cover the other
pages, which show a model's body type, a trim's powertrain, a vehicle's status or a store's kind.
"""

from __future__ import annotations

from forecourt.web.i18n import N_

BODY_TYPES = {
    "sedan": N_("Sedan"),
    "hatchback": N_("Hatchback"),
    "suv": N_("SUV"),
    "mpv": N_("MPV"),
    "coupe": N_("Coupe"),
    "convertible": N_("Convertible"),
    "pickup": N_("Pickup"),
    "wagon": N_("Wagon"),
}
POWERTRAINS = {
    "ice": N_("Petrol"),
    "hybrid": N_("Hybrid"),
    "phev": N_("Plug-in hybrid"),
    "bev": N_("Electric"),
}
STATUSES = {
    "available": N_("Available"),
    "in_transit": N_("In transit"),
    "reserved": N_("Reserved"),
    "sold": N_("Sold"),
    "in_service": N_("In rental or subscription service"),
}
STORE_KINDS = {
    "dealer": N_("Dealer showroom"),
    "self_service": N_("Self-service test-drive store"),
}
LABELS = {"body_type": BODY_TYPES, "powertrain": POWERTRAINS, "status": STATUSES, "store_kind": STORE_KINDS}

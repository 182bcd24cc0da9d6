"""A new fault code of a severe class suggests a service visit at once (pure).

"Severe" is telematics.fault_codes' class: codes that mean the car should not be driven on without a check
(safety systems, overheating, misfire that can destroy the catalyst, lost engine communication). Only codes that
are new since the previous report count, so a fault the car keeps reporting suggests the visit once; a code that
clears and comes back is new again. Codes are compared as the car sends them, upper-cased and trimmed.
"""

from __future__ import annotations

from collections.abc import Collection

from forecourt.telematics.fault_codes import Description, describe


def severe_new_faults(previous_codes: Collection[str], current_codes: Collection[str]) -> tuple[Description, ...]:
    """The severe codes in `current_codes` that were not in `previous_codes`, sorted by code; empty: no visit."""
    before = {_normal(code) for code in previous_codes}
    new = sorted({_normal(code) for code in current_codes} - before - {""})
    return tuple(d for d in map(describe, new) if d.severe)


def _normal(code: str) -> str:
    return code.strip().upper()

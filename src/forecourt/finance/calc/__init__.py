"""Pure finance calculations (standard library, numpy and core.money only): frozen dataclasses in and out."""

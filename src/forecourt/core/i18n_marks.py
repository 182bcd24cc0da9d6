"""The gettext marker, where code that must not depend on the web layer (pure modules) can import it."""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name, known to pybabel
    """Mark a message for extraction; it is translated where it is shown, in the page's language."""
    return message

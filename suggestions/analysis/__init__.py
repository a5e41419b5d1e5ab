"""Persian text analysis for Hamandishi: pure Python, no Django."""

from .normalize import display_form, fingerprint, match_form

__all__ = ["display_form", "fingerprint", "match_form"]

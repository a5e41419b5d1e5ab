"""Tracking codes: 16 random decimal digits (53 bits), stored as Latin digits, shown in Persian digits
in four groups, and accepted back in Latin, Persian or Arabic-Indic digits with any separators."""

import secrets

from common.persian import TO_LATIN, TO_PERSIAN

CODE_DIGITS = 16


def new_tracking_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def parse_tracking_code(text: str) -> str | None:
    """The stored form of what a person typed, or None when it cannot be a code."""
    digits = "".join(ch for ch in (text or "").translate(TO_LATIN) if ch.isascii() and ch.isdigit())
    if len(digits) != CODE_DIGITS:
        return None
    return digits


def display_tracking_code(code: str) -> str:
    groups = [code[i : i + 4] for i in range(0, len(code), 4)]
    return "-".join(groups).translate(TO_PERSIAN)

"""Cleaning what a person typed before it is stored. Only invisible characters that can disguise text go:
control characters and bidi overrides. ZWNJ stays, since Persian spelling needs it."""

import re
import unicodedata

_BIDI_CONTROLS = dict.fromkeys(
    [0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069], None
)
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_MOBILE = re.compile(r"^(?:\+98|0098|98|0)?(9\d{9})$")


def clean_user_text(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").translate(_BIDI_CONTROLS)
    kept = [ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc"]
    return "".join(kept).strip()


def normalize_mobile(text: str) -> str | None:
    """An Iranian mobile number as 09xxxxxxxxx, or None when it is not one."""
    compact = re.sub(r"[\s\-()]", "", (text or "").translate(_DIGITS))
    match = _MOBILE.match(compact)
    return f"0{match.group(1)}" if match else None

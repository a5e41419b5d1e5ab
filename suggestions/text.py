"""Cleaning what a person typed before it is stored. Only invisible characters that can disguise text go:
control characters and bidi overrides. ZWNJ stays, since Persian spelling needs it.

What a reader sees is judged apart: ZWNJ, zero-width spaces and joiners, BOM, Hangul fillers, combining marks
and the like take no room on screen, so a text made of them says nothing however long it is."""

import re
import unicodedata

from common.persian import TO_LATIN

_BIDI_CONTROLS = dict.fromkeys(
    [0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069], None
)
# Letters by their Unicode category, yet drawn as nothing: the Hangul fillers and the blank Braille cell.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_UNSEEN_CATEGORIES = frozenset({"Cc", "Cf", "Mn", "Me", "Zl", "Zp"})
_MOBILE = re.compile(r"^(?:\+98|0098|98|0)?(9\d{9})$")


def clean_user_text(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").translate(_BIDI_CONTROLS)
    kept = [ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc"]
    return "".join(kept).strip()


def _unseen(ch: str) -> bool:
    return ch in _BLANK_LETTERS or unicodedata.category(ch) in _UNSEEN_CATEGORIES


def visible_text(text: str) -> str:
    """The text as a reader sees it: characters drawn as nothing left out, each run of spaces one space."""
    shown = "".join(ch for ch in unicodedata.normalize("NFC", text or "") if not _unseen(ch))
    return " ".join(shown.split())


def visible_length(text: str) -> int:
    return len(visible_text(text))


def says_something(text: str) -> bool:
    """Whether the text holds at least one letter or digit a reader can see (emoji alone say nothing here)."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in visible_text(text))


def normalize_mobile(text: str) -> str | None:
    """An Iranian mobile number as 09xxxxxxxxx, or None when it is not one."""
    compact = re.sub(r"[\s\-()]", "", (text or "").translate(TO_LATIN))
    match = _MOBILE.match(compact)
    return f"0{match.group(1)}" if match else None

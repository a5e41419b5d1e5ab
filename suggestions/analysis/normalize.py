"""Two normal forms of a Persian suggestion, and the exact-duplicate fingerprint.

``display_form`` is what a reviewer reads: hazm's normaliser plus the clean-up hazm
leaves undone.  ``match_form`` is what the machine compares: every spelling,
digit, diacritic, punctuation and spacing difference folded away.
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
import unicodedata

__all__ = ["display_form", "fingerprint", "fingerprint_of_match_form", "match_form"]

ZWNJ = "\u200c"

# Invisible characters that only change how text is laid out, never what it says.
_INVISIBLE = (
    "\u00ad\u061c\u180e\u200b\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)
_VARIATION_SELECTORS = "".join(chr(c) for c in range(0xFE00, 0xFE10))
_ODD_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\t\v\f"

# Letters Persian spells one way that Arabic keyboards and old fonts spell another.
_LETTER_FOLDS = {
    "ي": "ی",
    "ى": "ی",
    "ې": "ی",
    "ۍ": "ی",
    "ێ": "ی",
    "ك": "ک",
    "ڪ": "ک",
    "ة": "ه",
    "ۀ": "ه",
    "ە": "ه",
    "ھ": "ه",
    "ہ": "ه",
    "إ": "ا",
    "ٱ": "ا",
    "ٲ": "ا",
    "ٳ": "ا",
}

# Private-use characters stand in for the tokens hazm would damage while it runs.
_PLACEHOLDER_BASE = 0xE000
_PLACEHOLDER_LIMIT = 0xF8FF - _PLACEHOLDER_BASE

_DIGITS = "0123456789"
_FA_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
_AR_DIGITS = "٠١٢٣٤٥٦٧٨٩"
_ANY_DIGIT = "0-9۰-۹٠-٩"

_TAG = re.compile(r"</?[A-Za-z][^<>]{0,500}>|<!--.*?-->", re.S)
_PROTECTED = re.compile(
    r"(?:https?://|www\.)[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]+"  # links
    r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"  # e-mail addresses
    r"|[A-Za-z][A-Za-z0-9]*(?:[-_.'][A-Za-z0-9]+)*"  # Latin words, digits inside kept (N95, COVID-19)
    rf"|[{_ANY_DIGIT}]+(?:(?:[.٫/:]|[,٬](?=[{_ANY_DIGIT}]{{3}}))[{_ANY_DIGIT}]+)*[%٪]?"  # numbers
)
_SPACES = re.compile(r"[ ]{2,}")
# ZWNJ only means something between two letters; hazm leaves stray ones next to spaces and signs.
_STRAY_ZWNJ = re.compile(r"\u200c+(?![^\W\d_])|(?<![^\W\d_])\u200c+")
_ZWNJ_RUN = re.compile(r"\u200c{2,}")
_REPEATED_LETTER = re.compile(r"([^\W\d_])\1+")


def _presentation_forms() -> dict[int, str]:
    """Arabic presentation forms (ligatures, positional glyphs) back to plain letters."""
    table = {}
    for code in [*range(0xFB50, 0xFE00), *range(0xFE70, 0xFEFF)]:
        folded = unicodedata.normalize("NFKC", chr(code))
        if folded != chr(code):
            table[code] = "".join(_LETTER_FOLDS.get(c, c) for c in folded)
    return table


@functools.cache
def _clean_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {ord(c): None for c in _INVISIBLE + _VARIATION_SELECTORS}
    table |= {ord(c): " " for c in _ODD_SPACES}
    table |= {ord(k): v for k, v in _LETTER_FOLDS.items()}
    table |= _presentation_forms()
    table |= {code: None for code in range(0xE000, 0xF900)}  # reserved for our placeholders
    return table


_TO_FA_DIGITS = str.maketrans(_DIGITS + _AR_DIGITS + ".,%", _FA_DIGITS * 2 + "٫٬٪")


@functools.cache
def _normalizer():
    # hazm's Normalizer takes about a second and 160 MB to build: once per process, on first use.
    from hazm import Normalizer

    return Normalizer()


def _unescape(text: str) -> str:
    # Entities are sometimes escaped twice ("&amp;nbsp;"); unescape to a fixed point so that
    # a second normalisation finds nothing left to do.
    for _ in range(4):
        if "&" not in text:
            break
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    return text


def _strip_markup(text: str) -> str:
    if "&" in text:
        text = _unescape(text)
    if "<" in text:
        text = _TAG.sub(" ", text)
        if "&" in text:
            text = _unescape(text)
    return text


@functools.cache
def _clean_pattern() -> re.Pattern:
    return re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_clean_table())) + "]+")


def _clean(text: str) -> str:
    """What hazm leaves alone: markup, invisible controls, odd spaces, letter variants."""
    text = _strip_markup(text)
    # Most texts need few or no replacements: find them with one regex scan rather than
    # a per-character dictionary look-up over the whole text.
    table = _clean_table()
    text = _clean_pattern().sub(lambda m: m.group(0).translate(table), text)
    if ZWNJ in text:
        text = _ZWNJ_RUN.sub(ZWNJ, _STRAY_ZWNJ.sub("", text))
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)  # alef + combining hamza -> أ, one code point
    return text


def _display_token(token: str) -> str:
    if token[0] in _DIGITS + _FA_DIGITS + _AR_DIGITS:
        return token.translate(_TO_FA_DIGITS)
    return token


def display_form(text: str) -> str:
    """The text as a reviewer should read it: hazm-normalised Persian, cleaned.

    Numbers are written with Persian digits (and ٫ ٪), Latin words, links and
    codes such as N95 or COVID-19 are kept exactly as typed.
    """
    text = _clean(text)
    tokens: list[str] = []

    def hide(match: re.Match) -> str:
        if len(tokens) > _PLACEHOLDER_LIMIT:
            return match.group(0)
        tokens.append(_display_token(match.group(0)))
        return chr(_PLACEHOLDER_BASE + len(tokens) - 1)

    text = _PROTECTED.sub(hide, text)
    text = _normalizer().normalize(text)
    if tokens:
        text = re.sub("[\ue000-\uf8ff]", lambda m: tokens[ord(m.group(0)) - _PLACEHOLDER_BASE], text)
    if ZWNJ in text:
        text = _ZWNJ_RUN.sub(ZWNJ, _STRAY_ZWNJ.sub("", text))
    return _SPACES.sub(" ", text).strip()


def _match_char(code: int) -> str:
    char = chr(code)
    if char in _LETTER_FOLDS:
        return _LETTER_FOLDS[char]
    if 0xFB50 <= code <= 0xFEFF:
        folded = unicodedata.normalize("NFKC", char)
        return "".join(_match_char(ord(c)) for c in folded) if folded != char else ""
    if char == "\u0640":  # kashida stretches a letter, it is not one
        return ""
    category = unicodedata.category(char)
    if category == "Nd":
        return str(unicodedata.digit(char))
    if category[0] == "L":
        folded = unicodedata.normalize("NFKD", char.lower())
        if folded == char:
            return char
        # Fold the pieces again so that a second pass finds nothing to change.
        return "".join(_match_char(ord(c)) for c in folded if not unicodedata.combining(c))
    # Marks (diacritics, hamza above), punctuation, symbols, spaces and ZWNJ all go:
    # compounds are written with ZWNJ, a space or nothing, so word breaks cannot be trusted.
    return ""


class _MatchTable(dict):
    """A str.translate table filled in lazily, one code point at a time."""

    def __missing__(self, code: int) -> str:
        value = self[code] = _match_char(code)
        return value


_MATCH_TABLE = _MatchTable({ord(k): v for k, v in {"أ": "ا", "آ": "ا", "ؤ": "و", "ئ": "ی", "ء": ""}.items()})


def match_form(text: str) -> str:
    """The text folded for comparison, without hazm (fast).

    Lower case, one digit set (ASCII), no diacritics, kashida, hamza forms,
    punctuation or word separators, and runs of a repeated letter squeezed to one:
    «برنامه‌ریزی», «برنامه ریزی» and «برنامهریزی» all become «برنامهریزی».
    """
    text = _strip_markup(text).translate(_MATCH_TABLE)
    return _REPEATED_LETTER.sub(r"\1", text)


def fingerprint(text: str) -> str:
    """Exact-duplicate key: a 32-character hex digest of the match form."""
    return fingerprint_of_match_form(match_form(text))


def fingerprint_of_match_form(folded: str) -> str:
    """``fingerprint`` for a text already in match form (saves folding it twice)."""
    return hashlib.blake2b(folded.encode("utf-8"), digest_size=16).hexdigest()

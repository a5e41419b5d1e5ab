"""Redaction of personal data in quotes: phone numbers in any digit set, emails, Iranian national ID numbers,
postal codes, URLs, and any other long run of digits. Pure functions, no Django: the caller decides.

Errs on the side of hiding: a long number that fits none of the named kinds is still hidden as «number»,
because a bank card or a passport number is personal data too.

The patterns run on a working copy that reads as a person sees the text: Persian (۰-۹), Arabic-Indic (٠-٩)
and full-width digits become Latin ones, full-width and other compatibility forms (＠, ．) their plain
letters, and invisible characters and tatweel are dropped, or read as a «-» when alone between two digits,
so «۰۹۱۲‌۳۴۵‌۶۷۸۹» reads as one number. The copy
keeps, for each of its characters, where it came from, so each marker replaces the whole original span.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from common.persian import TO_LATIN, latin_digits

PHONE = "phone"
EMAIL = "email"
NATIONAL_ID = "national_id"
POSTAL_CODE = "postal_code"
URL = "url"
NUMBER = "number"
NAMED = "named"  # a word a reviewer asked to hide by hand

LABELS = {
    PHONE: "شمارهٔ تلفن",
    EMAIL: "رایانامه",
    NATIONAL_ID: "کد ملی",
    POSTAL_CODE: "کد پستی",
    URL: "نشانی وب",
    NUMBER: "شماره",
    NAMED: "نام یا عبارت",
}
REPLACEMENTS = {kind: f"[{label} حذف شد]" for kind, label in LABELS.items()}

# Characters a reader does not see, or sees only as a stretch of the line: zero-width (non-)joiners and
# spaces, bidi marks and controls, the word joiner and its kin, the byte-order mark, the soft hyphen and
# tatweel (ـ). Dropped from the working copy, so they cannot split a number or a name.
_UNSEEN = frozenset(
    "\u00ad\u061c\u0640\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)

# Common top-level domains, so that a bare «example.ir/page» is caught without flagging «۳.۵» or «الف.ب».
_TLDS = r"(?:ir|com|org|net|info|me|io|co|edu|gov|app|dev|biz|tv|ly|to|link|site|online|xyz)"
_URL = re.compile(
    r"(?:https?://|ftp://|www\.)[^\s<>\"'«»]+"
    rf"|\b[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\.{_TLDS}\b(?:/[^\s<>\"'«»]*)?",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+%-]+\s?(?:@|\[at\]|\(at\))\s?[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
# «ali dot rezaei at example dot com», «ali (at) example (dot) ir», «ali ات gmail دات com»: Latin words
# joined by a spelled-out at and dot, ending in a known top-level domain so «look at the data» stays.
_SPELLED_AT = r"(?:\s*[\[({<]\s*(?:at|ات)\s*[\])}>]\s*|\s+(?:at|ات)\s+)"
_SPELLED_DOT = r"(?:\s*[\[({<]\s*(?:dot|دات)\s*[\])}>]\s*|\s+(?:dot|دات)\s+|\.)"
_SPELLED_EMAIL = re.compile(
    rf"(?<![\w.@])[a-z0-9_+%-]+(?:{_SPELLED_DOT}[a-z0-9_+%-]+)*{_SPELLED_AT}"
    rf"(?:[a-z0-9-]+{_SPELLED_DOT})+{_TLDS}(?![\w.])",
    re.IGNORECASE | re.ASCII,
)
# A run of digits with single separators between them, optionally led by + or an opening bracket. An
# underscore or a slash separates digits too: «0912_345_6789»; a date's grouping (1400/03/28) keeps it apart.
_DIGIT_RUN = re.compile(r"(?<!\d)[+(]?\d(?:(?:[ .\-_/]|\) ?| ?\()?\d)*\)?")
_NON_DIGIT = re.compile(r"\D+")
_TRAILING = ".)-( _/"
_POSTAL = re.compile(r"(?!(\d)\1{3})[13-9]{4}[1346-9][013-9]{5}")


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int
    text: str

    @property
    def label(self) -> str:
        return LABELS[self.kind]


@dataclass(frozen=True)
class Redacted:
    text: str
    findings: tuple[Finding, ...]

    @property
    def changed(self) -> bool:
        return bool(self.findings)


def is_valid_national_id(digits: str) -> bool:
    """An Iranian national ID (کد ملی): ten digits, the last a check digit over the first nine weighted
    10…2, modulo 11; a remainder under 2 is the check digit itself, otherwise 11 minus it."""
    digits = latin_digits(digits)
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit() or len(set(digits)) == 1:
        return False
    remainder = sum(int(digit) * (10 - position) for position, digit in enumerate(digits[:9])) % 11
    check = int(digits[9])
    return check == remainder if remainder < 2 else check == 11 - remainder


def is_postal_code(digits: str) -> bool:
    """An Iranian postal code: ten digits, the first five without 0 or 2, the fifth not 5, the last five
    without 2, and no digit four times at the start."""
    return bool(_POSTAL.fullmatch(latin_digits(digits)))


def _phone_kind(digits: str) -> bool:
    for prefix in ("0098", "98"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 10:
            return digits[len(prefix)] != "0"
    if len(digits) == 11 and digits.startswith("0") and digits[1] != "0":
        return True  # 09xx… mobiles and 0xx landlines with their area code
    return len(digits) == 10 and digits.startswith("9")  # a mobile written without its leading zero


def classify_digits(run: str) -> str | None:
    """The kind of personal data a run of digits (separators allowed) is, or None for an ordinary number."""
    latin = latin_digits(run)
    digits = _NON_DIGIT.sub("", latin)
    groups = [len(group) for group in _NON_DIGIT.split(latin.strip(_TRAILING)) if group]
    if latin.lstrip().startswith("+") or _phone_kind(digits):
        return PHONE if len(digits) >= 8 else None
    if len(digits) == 10:
        if is_valid_national_id(digits):
            return NATIONAL_ID
        if is_postal_code(digits):
            return POSTAL_CODE
        return NUMBER
    if len(digits) == 8 and (len(groups) == 1 or groups in ([4, 4], [2, 2, 2, 2])):
        return PHONE  # a landline without its area code; dates (1400-03-28) have other groupings
    if len(digits) >= 9:
        return NUMBER
    return None


@lru_cache(maxsize=4096)
def _read_as(char: str) -> str:
    return unicodedata.normalize("NFKC", char).translate(TO_LATIN)


def _reading_copy(text: str) -> tuple[str, list[int]]:
    """The text as a person reads it (see the module's docstring), and for each of its characters the index
    of the original character it came from, with len(text) appended for spans that end at the end."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if char in _UNSEEN:
            # Alone between two digits it is a separator, as «-» would be: «۰۹۱۲ـ۳۴۵ـ۶۷۸۹» groups like a
            # phone number and «۱۴۰۰ـ۰۳ـ۲۸» like a date. Anywhere else it is dropped.
            if chars and chars[-1].isdecimal() and chars[-1].isascii() and text[index + 1 : index + 2].isdecimal():
                chars.append("-")
                origin.append(index)
            continue
        if not char.isascii():
            char = _read_as(char)
        chars.append(char)
        origin.extend([index] * len(char))
    origin.append(len(text))
    return "".join(chars), origin


def find_personal_data(text: str, *, extra_terms: tuple[str, ...] | list[str] = ()) -> list[Finding]:
    """Every span of personal data in the text, in order, none overlapping; spans are of the text as given."""
    reading, origin = _reading_copy(text)
    taken = [False] * len(text)
    findings: list[Finding] = []

    def claim(kind: str, start: int, end: int) -> None:
        if end <= start:
            return
        # From the reading copy back to the original: from the first character's source to the last's.
        start, end = origin[start], origin[end - 1] + 1
        if not any(taken[start:end]):
            taken[start:end] = [True] * (end - start)
            findings.append(Finding(kind=kind, start=start, end=end, text=text[start:end]))

    for term in extra_terms:
        term = _reading_copy(term.strip())[0]
        if term:
            for match in re.finditer(re.escape(term), reading):
                claim(NAMED, match.start(), match.end())
    for pattern in (_EMAIL, _SPELLED_EMAIL):
        for match in pattern.finditer(reading):
            claim(EMAIL, match.start(), match.end())
    for match in _URL.finditer(reading):
        end = match.end()
        while end > match.start() and reading[end - 1] in ".,;:!?)؛،":
            end -= 1
        claim(URL, match.start(), end)
    for match in _DIGIT_RUN.finditer(reading):
        start, end = match.start(), match.end()
        while end > start and reading[end - 1] in _TRAILING:
            end -= 1
        while start < end and reading[start] in "( " and ")" not in reading[start:end]:
            start += 1
        kind = classify_digits(reading[start:end])
        if kind:
            claim(kind, start, end)
    return sorted(findings, key=lambda finding: finding.start)


def redact(text: str, *, extra_terms: tuple[str, ...] | list[str] = ()) -> Redacted:
    """The text with each finding replaced by a Persian marker saying what was removed."""
    findings = find_personal_data(text, extra_terms=extra_terms)
    parts, cursor = [], 0
    for finding in findings:
        parts.append(text[cursor : finding.start])
        parts.append(REPLACEMENTS[finding.kind])
        cursor = finding.end
    parts.append(text[cursor:])
    return Redacted(text="".join(parts), findings=tuple(findings))

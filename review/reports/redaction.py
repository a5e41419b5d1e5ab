"""Redaction of personal data in quotes: phone numbers in any digit set, emails, Iranian national ID numbers,
postal codes, URLs, and any other long run of digits. Pure functions, no Django: the caller decides.

Errs on the side of hiding: a long number that fits none of the named kinds is still hidden as «number»,
because a bank card or a passport number is personal data too. Persian (۰-۹) and Arabic-Indic (٠-٩)
digits are read as Latin ones; each maps to one character, so spans found in the mapped text are spans of
the original.
"""

import re
from dataclasses import dataclass

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

_TO_LATIN = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")

# Common top-level domains, so that a bare «example.ir/page» is caught without flagging «۳.۵» or «الف.ب».
_TLDS = r"(?:ir|com|org|net|info|me|io|co|edu|gov|app|dev|biz|tv|ly|to|link|site|online|xyz)"
_URL = re.compile(
    r"(?:https?://|ftp://|www\.)[^\s<>\"'«»]+"
    rf"|\b[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\.{_TLDS}\b(?:/[^\s<>\"'«»]*)?",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+%-]+\s?(?:@|\[at\]|\(at\))\s?[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
# A run of digits with single separators between them, optionally led by + or an opening bracket.
_DIGIT_RUN = re.compile(r"(?<!\d)[+(]?\d(?:(?:[ .\-]|\) ?| ?\()?\d)*\)?")
_NON_DIGIT = re.compile(r"\D+")
_TRAILING = ".)-( "
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


def to_latin_digits(text: str) -> str:
    return text.translate(_TO_LATIN)


def is_valid_national_id(digits: str) -> bool:
    """An Iranian national ID (کد ملی): ten digits, the last a check digit over the first nine weighted
    10…2, modulo 11; a remainder under 2 is the check digit itself, otherwise 11 minus it."""
    digits = to_latin_digits(digits)
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit() or len(set(digits)) == 1:
        return False
    remainder = sum(int(digit) * (10 - position) for position, digit in enumerate(digits[:9])) % 11
    check = int(digits[9])
    return check == remainder if remainder < 2 else check == 11 - remainder


def is_postal_code(digits: str) -> bool:
    """An Iranian postal code: ten digits, the first five without 0 or 2, the fifth not 5, the last five
    without 2, and no digit four times at the start."""
    return bool(_POSTAL.fullmatch(to_latin_digits(digits)))


def _phone_kind(digits: str) -> bool:
    for prefix in ("0098", "98"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 10:
            return digits[len(prefix)] != "0"
    if len(digits) == 11 and digits.startswith("0") and digits[1] != "0":
        return True  # 09xx… mobiles and 0xx landlines with their area code
    return len(digits) == 10 and digits.startswith("9")  # a mobile written without its leading zero


def classify_digits(run: str) -> str | None:
    """The kind of personal data a run of digits (separators allowed) is, or None for an ordinary number."""
    latin = to_latin_digits(run)
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


def find_personal_data(text: str, *, extra_terms: tuple[str, ...] | list[str] = ()) -> list[Finding]:
    """Every span of personal data in the text, in order, none overlapping."""
    latin = to_latin_digits(text)
    taken = [False] * len(text)
    findings: list[Finding] = []

    def claim(kind: str, start: int, end: int) -> None:
        if end > start and not any(taken[start:end]):
            taken[start:end] = [True] * (end - start)
            findings.append(Finding(kind=kind, start=start, end=end, text=text[start:end]))

    for term in extra_terms:
        term = term.strip()
        if term:
            for match in re.finditer(re.escape(term), text):
                claim(NAMED, match.start(), match.end())
    for match in _EMAIL.finditer(latin):
        claim(EMAIL, match.start(), match.end())
    for match in _URL.finditer(latin):
        end = match.end()
        while end > match.start() and latin[end - 1] in ".,;:!?)؛،":
            end -= 1
        claim(URL, match.start(), end)
    for match in _DIGIT_RUN.finditer(latin):
        start, end = match.start(), match.end()
        while end > start and latin[end - 1] in _TRAILING:
            end -= 1
        while start < end and latin[start] in "( " and ")" not in latin[start:end]:
            start += 1
        kind = classify_digits(latin[start:end])
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

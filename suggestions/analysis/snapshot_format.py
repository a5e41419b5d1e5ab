"""A re-clustering's fitted parts, stored as plain arrays and JSON: never a pickle.

A snapshot is the vectoriser of whole texts (for similar suggestions), the theme space (what the themes were
clustered on) and the theme model (centroids, labels, theme ids). ``dumps`` gives ``.npz`` bytes (numpy's
``savez``: arrays of numbers only, strings packed as UTF-8 bytes with offsets) and a JSON-ready dict whose
``format`` says how to read them; ``loads`` reads them back with ``allow_pickle=False``, so loading a snapshot
never runs code stored in the database. A snapshot of an unknown format raises ``UnreadableSnapshot``: the caller
refuses it and re-clusters.

Format history: 1 was a pickle of the scikit-learn objects (refused since format 2); 2 is this one.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np
from scipy import sparse

from .corpus import ThemeSpace
from .themes import ThemeModel
from .vectors import LexicalVectorizer

__all__ = ["FORMAT", "UnreadableSnapshot", "dumps", "loads"]

FORMAT = 2


class UnreadableSnapshot(ValueError):
    """The stored snapshot is of a format this release does not read."""


def dumps(vectorizer: LexicalVectorizer, space: ThemeSpace, model: ThemeModel) -> tuple[bytes, dict]:
    """The snapshot as ``.npz`` bytes and JSON-ready metadata."""
    arrays: dict[str, np.ndarray] = {}
    metadata: dict = {"format": FORMAT}
    metadata["vectorizer"] = _put_lexical(arrays, "vectorizer.", vectorizer)
    metadata["space"] = {
        "lexical": _put_lexical(arrays, "space.", space.lexical),
        "has_mean": space.mean is not None,
    }
    if space.mean is not None:
        arrays["space.mean"] = np.asarray(space.mean, dtype=np.float32)
    model_arrays, metadata["model"] = model.to_arrays()
    arrays.update({f"model.{name}": array for name, array in model_arrays.items()})
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue(), metadata


def loads(data: bytes, metadata: Mapping) -> tuple[LexicalVectorizer, ThemeSpace, ThemeModel]:
    """The (vectoriser, theme space, theme model) that ``dumps`` stored."""
    if not isinstance(metadata, Mapping) or metadata.get("format") != FORMAT:
        found = metadata.get("format", 1) if isinstance(metadata, Mapping) else 1
        raise UnreadableSnapshot(f"snapshot format {found}, this release reads format {FORMAT}")
    try:
        with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        vectorizer = _take_lexical(arrays, "vectorizer.", metadata["vectorizer"])
        space = ThemeSpace(chars=metadata["space"]["lexical"]["chars"])
        space.lexical = _take_lexical(arrays, "space.", metadata["space"]["lexical"])
        space.mean = arrays["space.mean"] if metadata["space"]["has_mean"] else None
        prefix = "model."
        model = ThemeModel.from_arrays(
            {name[len(prefix) :]: array for name, array in arrays.items() if name.startswith(prefix)},
            metadata["model"],
        )
    except (KeyError, TypeError, ValueError, OSError) as exc:
        raise UnreadableSnapshot(f"snapshot format {FORMAT} but damaged ({exc.__class__.__name__}: {exc})") from exc
    return vectorizer, space, model


# One lexical vectoriser: words (scikit-learn's TfidfVectorizer) and, optionally, character n-grams by word.


def _put_lexical(arrays: dict, prefix: str, vectorizer: LexicalVectorizer) -> dict:
    words = vectorizer.words
    terms = sorted(words.vocabulary_, key=words.vocabulary_.__getitem__)
    arrays[f"{prefix}words.terms"], arrays[f"{prefix}words.offsets"] = _pack(terms)
    arrays[f"{prefix}words.idf"] = np.asarray(words.idf_)
    metadata = {"chars": bool(vectorizer.use_chars), "max_features": words.max_features}
    if vectorizer.use_chars:
        chars = vectorizer.chars
        grams = sorted(chars.vocabulary_, key=chars.vocabulary_.__getitem__)
        known = sorted(chars._word_row, key=chars._word_row.__getitem__)
        arrays[f"{prefix}chars.grams"], arrays[f"{prefix}chars.gram_offsets"] = _pack(grams)
        arrays[f"{prefix}chars.words"], arrays[f"{prefix}chars.word_offsets"] = _pack(known)
        arrays[f"{prefix}chars.idf"] = np.asarray(chars.tfidf.idf_)
        word_grams = chars._word_grams.tocsr()
        arrays[f"{prefix}chars.data"] = word_grams.data
        arrays[f"{prefix}chars.indices"] = word_grams.indices
        arrays[f"{prefix}chars.indptr"] = word_grams.indptr
        arrays[f"{prefix}chars.shape"] = np.asarray(word_grams.shape, dtype=np.int64)
        metadata["ngram_range"] = list(chars.ngram_range)
        metadata["chars_max_features"] = chars.max_features
    return metadata


def _take_lexical(arrays: Mapping[str, np.ndarray], prefix: str, metadata: Mapping) -> LexicalVectorizer:
    vectorizer = LexicalVectorizer(max_features=metadata["max_features"], chars=metadata["chars"])
    terms = _unpack(arrays[f"{prefix}words.terms"], arrays[f"{prefix}words.offsets"])
    words = vectorizer.words
    words.vocabulary_ = {term: column for column, term in enumerate(terms)}
    words.idf_ = arrays[f"{prefix}words.idf"]  # the setter builds the fitted transformer
    if metadata["chars"]:
        chars = vectorizer.chars
        chars.ngram_range = tuple(metadata["ngram_range"])
        chars.max_features = metadata["chars_max_features"]
        grams = _unpack(arrays[f"{prefix}chars.grams"], arrays[f"{prefix}chars.gram_offsets"])
        known = _unpack(arrays[f"{prefix}chars.words"], arrays[f"{prefix}chars.word_offsets"])
        chars.vocabulary_ = {gram: column for column, gram in enumerate(grams)}
        chars._word_row = {word: row for row, word in enumerate(known)}
        chars._word_grams = sparse.csr_matrix(
            (arrays[f"{prefix}chars.data"], arrays[f"{prefix}chars.indices"], arrays[f"{prefix}chars.indptr"]),
            shape=tuple(int(n) for n in arrays[f"{prefix}chars.shape"]),
        )
        chars.tfidf = _fitted_tfidf(arrays[f"{prefix}chars.idf"], sublinear_tf=chars.tfidf.sublinear_tf)
    return vectorizer


def _fitted_tfidf(idf: np.ndarray, *, sublinear_tf: bool):
    """A TfidfTransformer as fitting it would leave it, from its idf weights."""
    from sklearn.feature_extraction.text import TfidfTransformer

    tfidf = TfidfTransformer(sublinear_tf=sublinear_tf)
    tfidf.idf_ = np.asarray(idf)
    tfidf.n_features_in_ = len(idf)
    return tfidf


def _pack(strings: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Strings as one UTF-8 byte array and the end offset of each: arrays of numbers, which load without pickle."""
    encoded = [text.encode("utf-8") for text in strings]
    offsets = np.cumsum([len(chunk) for chunk in encoded], dtype=np.int64) if encoded else np.zeros(0, np.int64)
    return np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(), offsets


def _unpack(blob: np.ndarray, offsets: np.ndarray) -> list[str]:
    data = blob.tobytes()
    starts = [0, *offsets[:-1].tolist()]
    return [data[start:end].decode("utf-8") for start, end in zip(starts, offsets.tolist(), strict=True)]

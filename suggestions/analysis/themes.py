"""Themes: a whole collection grouped by topic, labelled by a phrase its texts write.

Items are clustered as groups (a group's summed vector at unit length: a duplicate group, or an idea
of several), so every copy of one text and every text of one idea lands in one theme.  Up to
``AGGLOMERATIVE_LIMIT`` groups: average-linkage agglomerative clustering on cosine
distance, where two clusters join while their mean similarity stands out from the
collection's pairs as an outlier would: above their median by ``THEME_OUTLIER_Z``
robust standard deviations (1.4826 times the median absolute deviation).  With
three or more topics most pairs of a collection are unrelated, so the median and
its spread describe unrelated texts; the number of themes follows from the cut, with
no upper bound: a crowded collection gets as many themes as it has sets of ideas that stand out.
Above the limit: SVD to 100 dimensions (fitted on a sample), k-means on a sample into ``MICRO_CLUSTERS``
small clusters, whose centres the same rule joins; every group goes with its nearest small cluster.
A given number of themes overrides either choice.

An item whose vector is all zeros (a text with nothing left after normalising) or holds a NaN or an
infinity is not clustered: its theme number is ``UNCLUSTERED`` and the rest are clustered without it.
One such vector used to make every distance to it NaN and stop the whole clustering.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from scipy import sparse
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import pdist

from .ideas import idea_labels, without_opening
from .learn import l2_normalize
from .normalize import match_form
from .parallel import in_order
from .vectors import (
    ZWNJ,
    _compound_preposition,
    _folded,
    _lexicon_words,
    _stem,
    _verb_stems,
    is_finite_verb,
    main_clauses,
    surface_phrases,
)

if TYPE_CHECKING:
    from sklearn.decomposition import TruncatedSVD

__all__ = [
    "THEME_OUTLIER_Z",
    "UNCLUSTERED",
    "ThemeModel",
    "cluster_themes",
    "kmeans_plus_plus",
    "label_themes",
    "match_themes",
    "significant_average_linkage",
    "usable_rows",
]

AGGLOMERATIVE_LIMIT = 3_000
# The usual three-sigma outlier rule, fixed in advance rather than fitted to a labelled set.
THEME_OUTLIER_Z = 3.0
_FIT_SAMPLE = 20_000
# k-means++ chooses its starting centres among this many of the rows k-means is fitted on (scikit-learn's default
# for the batch size used).
_SEED_SAMPLE = 3 * 4096
_KEYWORDS = 3
# A word is shown as a phrase holding it when at least this share of the texts using either of its words use it.
_PHRASE_SHARE = 0.5
# ... and when at least this many texts that are not copies of one another use it.
_PHRASE_TEXTS = 2
# From this many themes on, a title more than half of them use is no theme's label.
_COMMON_FROM = 3
# A repeated title is a theme's label when it weighs at least this share of its best phrase.
_TITLE_SHARE = 0.5
# The longest phrase a label shows, in words.
_PHRASE_WORDS = 4
_LABEL_SAMPLE = 1_000
# A theme's label is a phrase of this many words, as its texts write it.
_LABEL_WORDS = (2, 5)
# Courtesies a label never holds: a phrase breaks at them as at punctuation, a number or a conjugated verb.
_COURTESIES = frozenset(
    match_form(w)
    for w in ["خواهشمندم", "خواهشمندیم", "سپاس", "سپاسگزارم", "ممنونم", "ممنونیم", "امیدوارم", "لطفا", "لطفاً", "خواهشا"]
)
# Prepositions and conjunctions: a phrase may end on a word with an ezafe when one of these follows it.
_LINKS = frozenset(
    match_form(word)
    for word in ("و", "یا", "در", "به", "از", "با", "برای", "تا", "که", "را", "هم", "بر", "چون", "اما", "ولی", "نیز")
)
_PHRASE_BREAK = re.compile(r"[،,.!?؟؛;:«»()\[\]\"'/\\|\-–—…]+")
# The theme number of an item that cannot be clustered (its vector is zeros, NaN or infinite).
UNCLUSTERED = -1


def usable_rows(vectors) -> np.ndarray:
    """Which rows (sparse or dense) can be clustered: all values finite and not all zero."""
    if sparse.issparse(vectors):
        # Positions of the few odd values, never an array per stored value: a large collection holds 10^8 of them.
        rows = vectors.tocsr()
        n = rows.shape[0]

        def rows_of(positions: np.ndarray) -> np.ndarray:
            return np.searchsorted(rows.indptr, positions, side="right") - 1

        broken = np.zeros(n, dtype=bool)
        broken[rows_of(np.flatnonzero(~np.isfinite(rows.data)))] = True
        filled = np.diff(rows.indptr) - np.bincount(rows_of(np.flatnonzero(rows.data == 0)), minlength=n)
        return ~broken & (filled > 0)
    rows = np.atleast_2d(np.asarray(vectors))
    return np.isfinite(rows).all(axis=1) & (rows != 0).any(axis=1)


@dataclass
class ThemeModel:
    """Theme centroids in the clustering space, to place a new text between re-clusterings."""

    centroids: np.ndarray  # (n_themes, d), unit rows
    labels: list[str]
    keywords: list[list[str]]
    sizes: list[int]
    # The SVD's directions (d, n_features) when the themes were clustered in a reduced space, else None.
    projection: np.ndarray | None = None
    theme_ids: list[Hashable] = field(default_factory=list)
    # Per theme, the label of the idea that best stands for it (its largest); empty for an older model.
    ideas: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.projection is not None:
            # Held term by term (its transpose C-contiguous), the same array in another order: scipy multiplied a
            # sparse row by the transpose of a C-ordered projection only after copying the whole of it, 0.3 ms
            # of each placement with 100,000 stored, more with a larger vocabulary.
            self.projection = np.ascontiguousarray(self.projection.T).T

    def assign(self, vector) -> tuple[Hashable, float]:
        """Nearest theme (id, cosine) for one item vector built like the clustered ones."""
        return self.assign_many(vector)[0]

    def assign_many(self, vectors) -> list[tuple[Hashable, float]]:
        """Nearest theme of each row; (None, 0.0) for a row with nothing to place (zeros, NaN) or no themes."""
        points = self.project(vectors)
        if not len(self.centroids):
            return [(None, 0.0)] * len(points)
        scores = points @ self.centroids.T
        best = scores.argmax(axis=1)
        placeable = points.any(axis=1)
        ids = self.theme_ids or list(range(len(self.centroids)))
        return [(ids[b], float(scores[i, b])) if placeable[i] else (None, 0.0) for i, b in enumerate(best)]

    def scores(self, vectors) -> tuple[np.ndarray, np.ndarray]:
        """Each row's cosine with every theme centroid, (n, n_themes), and which rows could be placed at all:
        a row of zeros (a text with no words) or one holding a NaN has nothing to place it by."""
        points = self.project(vectors)
        return points @ self.centroids.T, points.any(axis=1)

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        """The model as plain arrays (for ``np.savez``) and JSON-ready metadata; no object is pickled."""
        arrays = {"centroids": np.asarray(self.centroids, dtype=np.float32)}
        if self.projection is not None:
            arrays["projection"] = np.asarray(self.projection)
        metadata = {
            "labels": list(self.labels),
            "keywords": [list(words) for words in self.keywords],
            "sizes": [int(size) for size in self.sizes],
            "theme_ids": [None if pk is None else int(pk) for pk in self.theme_ids],
            "ideas": list(self.ideas),
        }
        return arrays, metadata

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], metadata: Mapping) -> ThemeModel:
        """The model `to_arrays` described."""
        return cls(
            centroids=np.asarray(arrays["centroids"], dtype=np.float32),
            labels=list(metadata["labels"]),
            keywords=[list(words) for words in metadata["keywords"]],
            sizes=list(metadata["sizes"]),
            projection=np.asarray(arrays["projection"]) if "projection" in arrays else None,
            theme_ids=list(metadata["theme_ids"]),
            ideas=list(metadata.get("ideas", [])),
        )

    def project(self, vectors) -> np.ndarray:
        """Unit rows in the clustering space; a row that holds a NaN or an infinity becomes zeros."""
        if sparse.issparse(vectors):
            if not np.isfinite(vectors.data).all():
                vectors = sparse.csr_matrix(vectors, dtype=np.float32, copy=True)
                vectors.data[~np.isfinite(vectors.data)] = 0
        else:
            vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
            vectors = np.where(np.isfinite(vectors).all(axis=1, keepdims=True), vectors, 0)
        if self.projection is not None:
            vectors = vectors @ self.projection.T  # what TruncatedSVD.transform does
        elif sparse.issparse(vectors):
            vectors = vectors.toarray()
        return l2_normalize(np.atleast_2d(np.asarray(vectors, dtype=np.float32)))


def _membership(index: np.ndarray, n_sets: int) -> sparse.csr_matrix:
    """(n_sets, len(index)) 0/1 matrix with a 1 where row ``index[i]`` holds item i: a product sums each set."""
    ones = np.ones(len(index), dtype=np.float32)
    return sparse.csr_matrix((ones, (index, np.arange(len(index)))), shape=(n_sets, len(index)))


def _group_vectors(vectors, group_index: np.ndarray, n_groups: int):
    """Each group's summed vector at unit length, so a campaign of thousands of copies weighs as one idea
    in the SVD.  Sparse for sparse input: a dense copy of a large collection's TF-IDF (a million rows by
    up to 400,000 terms) would not fit in memory."""
    sums = _membership(group_index, n_groups) @ vectors
    # The product is a new matrix, as large as the collection's vectors: normalised where it lies.
    return l2_normalize(sums.tocsr() if sparse.issparse(sums) else np.asarray(sums), copy=False)


def _dense(rows) -> np.ndarray:
    return rows.toarray() if sparse.issparse(rows) else np.asarray(rows)


def _project_in_blocks(projection: TruncatedSVD, rows, block: int = 50_000) -> np.ndarray:
    """SVD coordinates as float32, a block at a time: a million float64 rows at once would double the peak."""
    out = np.empty((rows.shape[0], projection.n_components), dtype=np.float32)
    for start in range(0, rows.shape[0], block):
        out[start : start + block] = projection.transform(rows[start : start + block])
    return out


def _sample_rows(rows, limit: int, rng: np.random.Generator):
    return rows if rows.shape[0] <= limit else rows[np.sort(rng.choice(rows.shape[0], limit, replace=False))]


def _nearest(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index of each unit row's most similar unit centre, in blocks."""
    return np.concatenate([(points[i : i + 50_000] @ centres.T).argmax(axis=1) for i in range(0, len(points), 50_000)])


def _sampled_kmeans(points: np.ndarray, k: int, seed: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """k unit centres fitted on a sample of the rows, and every row's nearest centre: k-means on all of a large
    collection moves the centres little and costs most of the re-clustering time."""
    from sklearn.cluster import MiniBatchKMeans

    sample = _sample_rows(points, _FIT_SAMPLE, rng)
    with _one_thread():
        starts = kmeans_plus_plus(_sample_rows(sample, _SEED_SAMPLE, rng), k, rng)
        model = MiniBatchKMeans(n_clusters=k, init=starts, random_state=seed, batch_size=4096, n_init=1)
        model.fit(sample)
    centres = l2_normalize(model.cluster_centers_)
    return centres, _nearest(points, centres)


def kmeans_plus_plus(points: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k starting centres for k-means among unit rows, by k-means++ (Arthur and Vassilvitskii, 2007) with a greedy
    choice: each next centre is drawn with a chance proportional to a row's squared distance from its nearest
    centre so far, and of 2 + ln k such draws the one that leaves the rows closest to their centres is kept.

    On unit rows that squared distance is 2 − 2·cosine, so each step is one product of the rows (in their own
    precision) with the draws. scikit-learn's seeding does the same arithmetic in float64 pieces, upcasting the
    float32 rows at every step: 1.1 of the 1.5 s k-means took at 20,000 texts, against 0.35 s here."""
    points = np.asarray(points)
    n = len(points)
    k = min(k, n)
    draws = 2 + int(math.log(k)) if k > 1 else 1
    chosen = np.empty(k, dtype=np.intp)
    chosen[0] = rng.integers(n)
    closest = np.maximum(2.0 - 2.0 * (points @ points[chosen[0]]), 0.0)
    for step in range(1, k):
        total = np.cumsum(closest, dtype=np.float64)
        candidates = np.minimum(np.searchsorted(total, rng.random(draws) * total[-1]), n - 1)
        distances = np.maximum(2.0 - 2.0 * (points @ points[candidates].T), 0.0)
        np.minimum(distances, closest[:, None], out=distances)
        best = int(distances.sum(axis=0, dtype=np.float64).argmin())
        chosen[step] = candidates[best]
        closest = distances[:, best].copy()
    return points[chosen].copy()


def significant_average_linkage(points: np.ndarray, z: float = THEME_OUTLIER_Z) -> np.ndarray:
    """Average-linkage clusters of unit rows, merged while their mean cosine is an outlier among all pairs.

    A theme is a set of items that are, on average, as alike as only unusually close
    pairs are: median + z robust standard deviations of the cosines of all pairs.  No cap on
    their number: a crowded collection has as many themes as sets of ideas stand out in it.
    """
    n = len(points)
    if n < 2:
        return np.zeros(n, dtype=int)
    distances = np.clip(pdist(points, "cosine"), 0.0, 2.0)
    cosines = 1.0 - distances
    median = float(np.median(cosines))
    spread = 1.4826 * float(np.median(np.abs(cosines - median)))
    tree = linkage(distances, "average")
    labels = fcluster(tree, t=max(1.0 - (median + z * spread), 1e-9), criterion="distance")
    return labels - 1


def _one_thread():
    """BLAS and OpenMP on one thread, for k-means: its seeding multiplies a few hundred small matrices, where a
    second thread costs more than it gives (on two busy cores the 500 micro-clusters of 20,000 texts took 25 s
    instead of 2 s), and one thread's sums come out the same on every run and every machine."""
    from threadpoolctl import threadpool_limits  # installed with scikit-learn, which uses it the same way

    return threadpool_limits(limits=1)


# A large collection is first cut into this many small clusters (far tighter than a theme), which the rule of a
# small collection then joins.
MICRO_CLUSTERS = 500


def _micro_then_significant(points: np.ndarray, seed: int, rng: np.random.Generator) -> np.ndarray:
    """Themes of more ideas than average linkage can take, by the rule of a small collection: k-means (on a
    sample) into ``MICRO_CLUSTERS`` small clusters, whose centres ``significant_average_linkage`` joins; each
    idea goes with its nearest small cluster.  The number of themes follows from how many sets of ideas stand
    out, as for a small collection, rather than from the best silhouette over a range that grows with sqrt(n):
    that range's top (200) was always chosen, and 20,000 texts hiding 11 labelled topics scored NMI 0.57."""
    centres, nearest = _sampled_kmeans(points, min(MICRO_CLUSTERS, max(2, len(points) // 4)), seed, rng)
    used = np.unique(nearest)
    theme_of_micro = np.zeros(len(centres), dtype=int)
    theme_of_micro[used] = significant_average_linkage(centres[used])
    return theme_of_micro[nearest]


def cluster_themes(
    vectors,
    groups: Sequence[Hashable],
    displays: Sequence[str],
    *,
    n_themes: int | None = None,
    seed: int = 0,
    copies: Sequence[Hashable] | None = None,
    workers: int = 1,
) -> tuple[np.ndarray, ThemeModel]:
    """Theme number (0..k-1) of every item, and the model that places new items.

    ``vectors``: one row per item (sparse or dense); ``groups``: each item's duplicate
    group or idea unit, whose members always share a theme; ``displays``: display forms, for
    labels; ``copies``: each item's duplicate group, for labels (``groups`` when not given); ``workers``: the
    processes that read the themes' texts for their labels (``label_themes``).
    An item whose vector is zeros, NaN or infinite gets ``UNCLUSTERED`` (-1) and is left out of
    the clustering; the caller says so in its log, by the items' ids.
    """
    usable = usable_rows(vectors)
    if usable.all():
        return _cluster_themes(vectors, groups, displays, n_themes=n_themes, seed=seed, copies=copies, workers=workers)
    labels = np.full(len(usable), UNCLUSTERED, dtype=int)
    kept = np.flatnonzero(usable)
    if not len(kept):
        nothing = np.zeros((0, vectors.shape[1]), dtype=np.float32)
        return labels, ThemeModel(centroids=nothing, labels=[], keywords=[], sizes=[])
    rows = vectors[kept] if sparse.issparse(vectors) else np.asarray(vectors)[kept]
    copies = groups if copies is None else copies
    labels[kept], model = _cluster_themes(
        rows,
        [groups[i] for i in kept],
        [displays[i] for i in kept],
        n_themes=n_themes,
        seed=seed,
        copies=[copies[i] for i in kept],
        workers=workers,
    )
    return labels, model


def _cluster_themes(
    vectors,
    groups: Sequence[Hashable],
    displays: Sequence[str],
    *,
    n_themes: int | None,
    seed: int,
    copies: Sequence[Hashable] | None,
    workers: int = 1,
) -> tuple[np.ndarray, ThemeModel]:
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.decomposition import TruncatedSVD

    group_ids = {g: i for i, g in enumerate(dict.fromkeys(groups))}
    group_index = np.array([group_ids[g] for g in groups])
    n_groups = len(group_ids)
    rng = np.random.default_rng(seed)
    projection = None
    group_vectors = _group_vectors(vectors, group_index, n_groups)
    if n_groups > AGGLOMERATIVE_LIMIT or group_vectors.shape[1] > 5_000:
        dims = min(100, group_vectors.shape[1] - 1, max(n_groups - 1, 1))
        # A sample of rows pins down the 100 main directions of a large collection as well as all of them.
        projection = TruncatedSVD(n_components=dims, random_state=seed).fit(
            _sample_rows(group_vectors, _FIT_SAMPLE, rng)
        )
        points = _project_in_blocks(projection, group_vectors)
    else:
        points = _dense(group_vectors).astype(np.float32)
    del group_vectors
    points = l2_normalize(points, copy=False)

    if n_groups < 3:
        group_labels = np.zeros(n_groups, dtype=int)
    elif n_groups <= AGGLOMERATIVE_LIMIT:
        # No cap on the count: a crowded collection has as many themes as sets of ideas stand out in it.
        # Cut at 2·sqrt(n), 2,000 texts hiding 11 labelled topics gave one theme of 1,500 texts that
        # swallowed most of them; uncut, the topics stayed apart (NMI 0.48 -> 0.69 on the development set).
        if n_themes:
            given = AgglomerativeClustering(n_clusters=min(n_themes, n_groups), linkage="average", metric="cosine")
            group_labels = given.fit_predict(points)
        else:
            group_labels = significant_average_linkage(points)
    else:
        if n_themes:
            _, group_labels = _sampled_kmeans(points, n_themes, seed, rng)
        else:
            group_labels = _micro_then_significant(points, seed, rng)

    # Renumber themes largest first, so theme 0 is the biggest.
    item_labels = group_labels[group_index]
    order = [label for label, _ in Counter(item_labels.tolist()).most_common()]
    renumber = {old: new for new, old in enumerate(order)}
    item_labels = np.array([renumber[x] for x in item_labels.tolist()])
    group_labels = np.array([renumber[x] for x in group_labels.tolist()])
    centroids = np.asarray(_membership(group_labels, len(order)) @ points)
    labels, keywords = label_themes(item_labels, displays, copies=groups if copies is None else copies, workers=workers)
    model = ThemeModel(
        centroids=l2_normalize(centroids),
        labels=labels,
        keywords=keywords,
        sizes=np.bincount(item_labels, minlength=len(order)).tolist(),
        projection=None if projection is None else projection.components_,
        ideas=_standing_ideas(group_index, group_labels, points, l2_normalize(centroids), displays),
    )
    return item_labels, model


def _standing_ideas(group_index, group_labels, points, centroids, displays) -> list[str]:
    """Per theme, the label of its idea with the most texts (the one nearest the theme's centre on a tie).

    Only one idea per theme is labelled: labelling every idea of a large collection would cost a pass of
    the language tools over all its texts."""
    sizes = np.bincount(group_index, minlength=len(group_labels))
    closeness = np.einsum("ij,ij->i", points, centroids[group_labels])
    best: dict[int, int] = {}
    for group in np.lexsort((-closeness, -sizes)).tolist():
        best.setdefault(int(group_labels[group]), group)
    members: dict[int, list[int]] = defaultdict(list)
    wanted = {group: theme for theme, group in best.items()}
    for item, group in enumerate(group_index.tolist()):
        if group in wanted:
            members[wanted[group]].append(item)
    labels = idea_labels(members, dict(enumerate(displays)), displayed=True)
    return [labels.get(theme, "") for theme in range(len(centroids))]


def label_themes(
    item_labels: Sequence[int],
    displays: Sequence[str],
    n_keywords: int = _KEYWORDS,
    *,
    copies: Sequence[Hashable] | None = None,
    workers: int = 1,
):
    """Each theme's most distinctive words and phrases (class TF-IDF over themes), as written by people.

    Words count the texts that use them.  A pair of words is shown in place of one of its words
    only when texts that are not copies of one another use it: ``copies`` gives each text's
    duplicate group (each text is its own when not given), so that words standing side by side in
    one text and its copies («رای‌دهنده دستکش») never make a phrase.

    Read from at most ``_LABEL_SAMPLE`` members of each theme, spread evenly over it: a word that
    is distinctive for a theme of 50,000 texts is just as clear in 1,000 of them.  Each theme's texts
    are read apart from the others' (``_read_themes``), in ``workers`` forked processes when above 1:
    the same labels as one.
    """
    item_labels = np.asarray(item_labels, dtype=int)
    n_themes = int(item_labels.max()) + 1 if len(item_labels) else 0
    order = np.argsort(item_labels, kind="stable")
    bounds = np.searchsorted(item_labels[order], np.arange(n_themes + 1))
    samples = []
    for label in range(n_themes):
        members = order[bounds[label] : bounds[label + 1]]
        if len(members) > _LABEL_SAMPLE:
            members = members[np.linspace(0, len(members) - 1, _LABEL_SAMPLE).astype(int)]
        samples.append(members.tolist())
    readings, surfaces, written = _read_all(samples, displays, copies, workers)
    themes_with = Counter(key for reading in readings for key in reading.counts)
    labels, keywords = [], []
    for reading in readings:
        c, size = reading.counts, max(reading.size, 1)

        def weight(key: str, c=c, size=size) -> float:
            return (c[key] / size) * math.log(1 + n_themes / themes_with[key])

        phrases = {key for key, holders in reading.pairs.items() if holders >= _PHRASE_TEXTS}
        words = []
        for chain in _label_keys(c, phrases, weight, n_keywords):
            shown = [surfaces[key].most_common(1)[0][0] for key in chain]
            # Overlapping pairs: the first as written, then the second word of each after it.
            words.append(" ".join([shown[0], *(pair.split()[1] for pair in shown[1:])]))
        keywords.append(words)
    labels = _phrase_labels(readings, written, keywords)
    return labels, keywords


class _Reading(NamedTuple):
    """What a theme's sampled texts say, for its label: how many were read and how many of them are not copies of
    one another; per word or pair of words (stems) the texts using it; per pair and per phrase of 2 to 5 words, the
    duplicate groups using it; and which of those phrases are titles (``_titles_of``)."""

    size: int
    distinct: int
    counts: Counter
    pairs: dict[str, int]
    phrases: dict[tuple, int]
    titles: frozenset[tuple]


# Sampled texts read by one task of ``_read_all``: a few tasks a process, so that two processes end together.
_READ_TASK = 2_000


def _read_all(samples: list[list[int]], displays, copies, workers: int):
    """Every theme's ``_Reading`` in theme order, and how each word or pair (``surfaces``) and each phrase
    (``written``) is written, most often first and the first met first on a tie: the tallies of consecutive themes
    merged in order, which is what reading all themes one after another gives."""
    tasks, task, held = [], [], 0
    for members in samples:
        task.append(([displays[i] for i in members], [i if copies is None else copies[i] for i in members]))
        held += len(members)
        if held >= _READ_TASK:
            tasks.append(task)
            task, held = [], 0
    if task:
        tasks.append(task)
    readings: list[_Reading] = []
    surfaces: dict[str, Counter] = defaultdict(Counter)
    written: dict[tuple, Counter] = defaultdict(Counter)
    for part, part_surfaces, part_written in in_order(_read_themes, tasks, workers=workers):
        readings += part
        for key, forms in part_surfaces.items():
            surfaces[key].update(forms)
        for key, forms in part_written.items():
            written[key].update(forms)
    return readings, surfaces, written


def _read_themes(themes: list[tuple[list[str], list[Hashable]]]):
    """The ``_Reading`` of each of a few themes, given as (texts, each text's duplicate group), with how their
    words, pairs and phrases are written."""
    surfaces: dict[str, Counter] = defaultdict(Counter)
    written: dict[tuple, Counter] = defaultdict(Counter)
    readings = []
    for texts, groups in themes:
        counts: Counter = Counter()
        # The duplicate groups using each pair of words: a phrase must recur within its own theme.
        pairs: dict[str, set] = defaultdict(set)
        phrases: dict[tuple, set] = defaultdict(set)
        titles: set[tuple] = set()
        for display, group in zip(texts, groups, strict=True):
            seen = set()
            # Conjugated verbs («بدهند», «شوند») are left out: a label names a topic, not an action.
            for key, as_written in surface_phrases(display):
                surfaces[key][as_written] += 1
                if " " in key:
                    pairs[key].add(group)
                if key not in seen:  # count texts, not repetitions
                    counts[key] += 1
                    seen.add(key)
            text_titles = _titles_of(display)
            titles.update(key for key, _ in text_titles)
            for key, as_written in _phrases_of(display, text_titles):
                phrases[key].add(group)
                written[key][as_written] += 1
        readings.append(
            _Reading(
                size=len(texts),
                distinct=len(set(groups)) or 1,
                counts=counts,
                pairs={key: len(holders) for key, holders in pairs.items()},
                phrases={key: len(holders) for key, holders in phrases.items()},
                titles=frozenset(titles),
            )
        )
    return readings, dict(surfaces), dict(written)


def _phrases_of(
    display: str, titles: list[tuple[tuple[str, ...], str]] | None = None
) -> list[tuple[tuple[str, ...], str]]:
    """(key, as written) of each run of 2 to 5 words of a text's main clauses that could title it.

    A run stands between punctuation, numbers and conjugated verbs, starts and ends with a content word and
    does not end right before a verb, whose object or first half its last word then is («تمدید» in «تمدید
    شود»), nor on a word whose ezafe binds it to the word after it («فضای» in «فضای باز»). It never starts with
    what a number counts («نفر» in «۸ نفر نیروی اضافی»), the word an ezafe binds to the one before it («رای» in
    «تعرفه‌های رای») or the second word of a compound preposition, which starts with the first («به صورت
    مجازی», never «صورت مجازی»). A line of 2 to 5 words with no verb or number in it, a suggestion's title, is
    one whole, even where its last word is a stop word («خودکار شخصی»): its writer meant it as a title. A key is
    its words' stems (stop words folded), so spellings of one phrase count together. ``titles``: the text's
    ``_titles_of``, when the caller has them.
    """
    titles = _titles_of(display) if titles is None else titles
    phrases = list(titles)
    # Line by line: a suggestion's title and its body are two sentences, and a body's opening formula («پیشنهاد
    # بنده این است که») is not what it says.
    pieces = (
        piece for line in display.splitlines() for piece in _PHRASE_BREAK.split(main_clauses(without_opening(line)))
    )
    for piece in pieces:
        written_words = piece.split()
        # (written, key word, is a content word) per word, ("", "", False) for a verb and for the end
        run = [_phrase_word(written) for written in written_words]
        run.append(("", "", False))
        last = len(run) - 1
        for start in range(last):
            opening = _opening(written_words, run, start)
            if opening is None:
                continue
            content = opening
            for stop in range(start + _LABEL_WORDS[0], min(start + _LABEL_WORDS[1], last) + 1):
                # Each step adds one word to the run: a verb or the end in it ends every longer run too.
                if not run[stop - 1][0]:
                    break
                content += run[stop - 1][2]
                if not run[stop - 1][2] or content < 2:
                    continue
                if stop < last and (not run[stop][0] or _bound(written_words[stop - 1], written_words[stop])):
                    continue
                if _compound_preposition(written_words[stop - 2], written_words[stop - 1]):
                    continue  # «از طریق» asks for what follows it
                words = run[start:stop]
                phrase = (tuple(key for _, key, _ in words), " ".join(written for written, _, _ in words))
                if phrase not in titles:
                    phrases.append(phrase)
    return phrases


def _titles_of(display: str) -> list[tuple[tuple[str, ...], str]]:
    """(key, as written) of each line of 2 to 5 words holding a content word and no verb, number or courtesy."""
    titles = []
    for line in display.splitlines():
        written_words = line.split()
        if not _LABEL_WORDS[0] <= len(written_words) <= _LABEL_WORDS[1]:
            continue
        unbroken = _PHRASE_BREAK.sub(" ", line).split()
        if len(unbroken) != len(written_words):
            continue  # punctuation inside a line splits it into more than a title
        written_words = unbroken
        words = [_phrase_word(written) for written in written_words]
        if all(written for written, _, _ in words) and any(content for _, _, content in words):
            titles.append((tuple(key for _, key, _ in words), " ".join(written_words)))
    return titles


def _opening(written: list[str], run: list[tuple[str, str, bool]], start: int) -> int | None:
    """Whether a phrase may start at word ``start``: None if not, else the content words it starts with (1 for a
    content word, 0 for the preposition opening a compound one)."""
    if run[start][2]:
        if start:
            before = written[start - 1]
            if not run[start - 1][0]:  # a verb or a number breaks the run before it
                if _is_number(before):
                    return None
            elif _compound_preposition(before, written[start]) or (
                run[start - 1][2] and _bound(before, written[start])
            ):
                return None
        return 1
    if run[start][0] and start + 1 < len(written) and _compound_preposition(written[start], written[start + 1]):
        return 0
    return None


def _bound(written: str, following: str) -> bool:
    """Whether a word is written with the «ی» of ezafe and the word after it is what the ezafe binds it to, not a
    preposition or a conjunction: a phrase neither ends nor starts between them («فضای باز», never «فضای» nor
    «باز ...»)."""
    return _takes_ezafe(written) and _folded(following) not in _LINKS


@functools.lru_cache(maxsize=200_000)
def _takes_ezafe(written: str) -> bool:
    """«فضای», «تعرفه‌های», «خانه‌ی», «خانۀ»: a plural or a word ending in a vowel, with its ezafe. Not a word whose
    own last letters these are («رأی», «برای»), nor the «ای» of an adjective («زمینه‌ای»)."""
    if written.endswith(("های", "ۀ", ZWNJ + "ی")):
        return True
    if not written.endswith(("ای", "وی")) or written.endswith(ZWNJ + "ای"):
        return False
    bare, lexicon = written.replace(ZWNJ, ""), _lexicon_words()
    return bare not in lexicon and bare[:-2] + "أی" not in lexicon and bare[:-1] in lexicon


def _is_number(written: str) -> bool:
    return any(ch.isdigit() for ch in written)


@functools.lru_cache(maxsize=200_000)
def _phrase_word(written: str) -> tuple[str, str, bool]:
    """A word as written, its key in a phrase and whether it is a content word; ("", "", False) where a phrase breaks
    (a conjugated verb or participle, a number, a courtesy). Once per distinct word: a collection repeats its
    words, and this was most of the labelling's time."""
    if is_finite_verb(written) or _participle(written) or _is_number(written):
        return "", "", False
    folded = match_form(written)
    if folded in _COURTESIES:
        return "", "", False
    stem = _stem(written)[0]
    return written, stem or folded, bool(stem)


def _participle(word: str) -> bool:
    """«داشته», «شده», «گرفته»: a past stem and «ه», the verb of a clause as much as a conjugated one."""
    word = word.replace("\u200c", "")
    return len(word) > 3 and word.endswith("ه") and word[:-1].removeprefix("ن") in _verb_stems()[1]


def _phrase_labels(readings: list[_Reading], written: Mapping[tuple, Counter], keywords) -> list[str]:
    """Each theme's label: the phrase of 2 to 5 words that most sets it apart, as its texts write it.

    A phrase counts the texts that are not copies of one another using it (``_Reading.phrases``), and weighs as a
    keyword does (the share of the theme's texts, times how few themes use it).  The best phrase then grows
    into the longest phrase holding it that at least ``_PHRASE_SHARE`` of its texts use («عوامل اجرایی» ->
    «آموزش عوامل اجرایی»).  A theme with no phrase met twice takes its best phrase met once; one with none
    at all shows its keywords.

    No two themes share a label. Each phrase first goes to the largest theme whose best it is; a theme that lost
    its best shows its next phrase that is no other theme's (four themes of 20,000 texts were all «تعرفه‌های
    رای»); if its texts repeat none that is free, the longest phrase it holds that none shows. Only a theme whose
    every phrase is taken shares one.
    """
    n_themes = len(readings)
    themes_with = Counter(key for reading in readings for key in reading.phrases)
    # A title more than half the themes use sets none of them apart: one many writers keep for any text
    # («پیشنهاد برای انتخابات») would otherwise be the label of the theme whose own phrases are rarest. (Phrases of
    # the texts themselves stay: in a crowded collection, whose texts each touch several subjects, most subjects
    # are named in most themes.)
    common = {key for key, n in themes_with.items() if n_themes >= _COMMON_FROM and n > n_themes / 2}
    ranked: dict[int, list[tuple]] = {}  # per theme with phrases: those it repeats, best first
    spare: dict[int, list[tuple]] = {}  # ... and all it holds, for a theme whose repeated phrases are all taken
    for theme, reading in enumerate(readings):
        holders = reading.phrases
        if not holders:
            continue
        own = [key for key in holders if key not in common or key not in reading.titles] or list(holders)
        least = 2 if any(holders[key] >= 2 for key in own) else 1

        def order(key, holders=holders, size=reading.distinct) -> tuple:
            return (-holders[key] / size * math.log(1 + n_themes / themes_with[key]), len(key), key)

        ranked[theme] = sorted((key for key in own if holders[key] >= least), key=order)
        spare[theme] = sorted(own, key=order)
        # A title the texts repeat goes first when it weighs at least half what the best phrase does: its writers
        # meant it as what the rest says.
        title = next((key for key in ranked[theme] if key in reading.titles), None)
        if title is not None and order(title)[0] <= _TITLE_SHARE * order(ranked[theme][0])[0]:
            ranked[theme].remove(title)
            ranked[theme].insert(0, title)

    def grown(theme: int, best: tuple, taken: Set[tuple], among: dict[int, list[tuple]] = ranked) -> tuple:
        return _grown(best, among[theme], readings[theme], taken)

    largest_first = sorted(ranked, key=lambda theme: (-readings[theme].distinct, theme))
    firsts = {theme: grown(theme, ranked[theme][0], frozenset()) for theme in largest_first}
    chosen: dict[int, tuple] = {}
    taken: set[tuple] = set()
    for theme in largest_first:  # each theme's best, unless a larger theme's best is the same
        if firsts[theme] not in taken:
            chosen[theme] = firsts[theme]
            taken.add(firsts[theme])
    for theme in largest_first:  # the others: their best phrase no theme shows
        if theme in chosen:
            continue
        options = itertools.chain(
            (grown(theme, key, taken) for key in ranked[theme]),
            (grown(theme, key, taken, spare) for key in spare[theme]),
        )
        chosen[theme] = next((key for key in options if key not in taken), firsts[theme])
        taken.add(chosen[theme])
    return [
        written[chosen[theme]].most_common(1)[0][0] if theme in chosen else "، ".join(keywords[theme]) or "متفرقه"
        for theme in range(n_themes)
    ]


def _grown(best: tuple, candidates: list[tuple], reading: _Reading, taken: Set[tuple]) -> tuple:
    """The longest phrase holding ``best`` that at least ``_PHRASE_SHARE`` of its texts use and no other theme
    shows, a title first («آموزش پروتکل‌های بهداشتی» over «اجرایی درباره پروتکل‌های بهداشتی آموزش», run across an
    ezafe no spelling shows); or ``best`` itself."""
    holders = reading.phrases
    longer = [
        key
        for key in candidates
        if len(key) > len(best)
        and key not in taken
        and _contains(key, best)
        and holders[key] >= _PHRASE_SHARE * holders[best]
    ]
    return min(longer, key=lambda key: (key not in reading.titles, -len(key), -holders[key], key)) if longer else best


def _contains(longer: tuple, shorter: tuple) -> bool:
    return any(longer[i : i + len(shorter)] == shorter for i in range(len(longer) - len(shorter) + 1))


def _label_keys(counts: Counter, phrases: set[str], weight, n_keywords: int) -> list[list[str]]:
    """A theme's ``n_keywords`` most distinctive words, each shown as the phrase it is mostly part of.

    A word gives way to the one of ``phrases`` (pairs of words) holding it that at least
    ``_PHRASE_SHARE`` of the texts using either word use («عوامل اجرایی» for «اجرایی»; not «شعبه‌ها
    ماسک», since most texts with «شعبه» do not say it).  A phrase grows by the pair that half the
    texts with its first or last word use («آموزش عوامل» + «عوامل اجرایی», «شعب اخذ» + «اخذ رای»), up to
    ``_PHRASE_WORDS`` words.  Each keyword is given as its chain of overlapping pairs, or its one
    word.  A word already shown, alone or in a phrase, is not shown again.
    """
    phrases_with: dict[str, list[str]] = defaultdict(list)
    for phrase in sorted(phrases):
        for stem in phrase.split():
            phrases_with[stem].append(phrase)

    def best_pair(stem: str, shown: set[str], *, position: int | None = None) -> str | None:
        """The strongest pair holding ``stem`` (at ``position`` in it, when extending a phrase) and no shown word."""

        def strong(phrase: str) -> bool:
            # A first pair must hold half the texts of both its words; a pair extending a phrase, half of
            # those of the word it shares with the phrase.
            judged = phrase.split() if position is None else [stem]
            return all(counts[phrase] >= _PHRASE_SHARE * counts[word] for word in judged)

        holding = [
            phrase
            for phrase in phrases_with.get(stem, ())
            if (position is None or phrase.split()[position] == stem)
            and not {word for word in phrase.split() if word != stem} & shown
            and strong(phrase)
        ]
        return min(holding, key=lambda phrase: (-counts[phrase], -weight(phrase), phrase)) if holding else None

    words = sorted((key for key in counts if " " not in key), key=lambda key: (-weight(key), key))
    chosen: list[list[str]] = []
    shown: set[str] = set()
    for stem in words:
        if len(chosen) == n_keywords:
            break
        if stem in shown:
            continue
        pair = best_pair(stem, shown)
        if pair is None:
            chosen.append([stem])
            shown.add(stem)
            continue
        chain = [pair]
        shown.update(pair.split())
        while len(chain) + 1 < _PHRASE_WORDS:
            first, last = chain[0].split()[0], chain[-1].split()[1]
            if after := best_pair(last, shown, position=0):
                chain.append(after)
            elif before := best_pair(first, shown, position=1):
                chain.insert(0, before)
            else:
                break
            shown.update(chain[-1].split() + chain[0].split())
        chosen.append(chain)
    return chosen


def match_themes(
    old: Mapping[Hashable, Iterable[Hashable]],
    new: Mapping[Hashable, Iterable[Hashable]],
    *,
    min_jaccard: float = 0.2,
) -> dict[Hashable, Hashable | None]:
    """Which old theme each new cluster continues (by member overlap), or None for a new theme.

    One-to-one (Hungarian assignment on member Jaccard): a theme keeps its identity,
    label and reviewer edits when most of its members stay together.
    """
    old_sets = {k: set(v) for k, v in old.items()}
    new_sets = {k: set(v) for k, v in new.items()}
    old_keys, new_keys = list(old_sets), list(new_sets)
    result: dict[Hashable, Hashable | None] = dict.fromkeys(new_keys)
    if not old_keys or not new_keys:
        return result
    overlap = np.zeros((len(new_keys), len(old_keys)))
    for i, n in enumerate(new_keys):
        for j, o in enumerate(old_keys):
            inter = len(new_sets[n] & old_sets[o])
            if inter:
                overlap[i, j] = inter / len(new_sets[n] | old_sets[o])
    rows, cols = linear_sum_assignment(-overlap)
    for i, j in zip(rows, cols, strict=False):
        if overlap[i, j] >= min_jaccard:
            result[new_keys[i]] = old_keys[j]
    return result

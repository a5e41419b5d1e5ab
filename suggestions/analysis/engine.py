"""One analysis engine for the portal and the file: the same decisions, whether texts come one by one or all at once.

The engine decides; it stores nothing and imports nothing from Django. What it needs to know about the texts
analyzed before is asked of an ``Index`` (the portal implements it over Redis and the database; a test or a
script over a dict), and what it decided comes back as an ``Analysis`` for the caller to write.

- ``Engine.analyze_one(text, index=...)``: one text against what the index holds: its forms, the duplicate
  group it joins, its similar list, its nearest theme. This is what the Celery task runs.
- ``Engine.analyze_many(records)``: a whole collection at once (``analyze_file``): the same rules, computed in
  batches (signatures once per distinct form, near-duplicates through one band index, similar texts from an
  approximate index re-scored exactly), and the themes clustered by ``Engine.cluster``.
- ``Engine.cluster(...)``: the themes of a collection from its duplicate groups and its ideas, the one function
  both the portal's re-clustering and the file's analysis call.

The rules both paths share, so they give the same answers:

- a text joins the group of the earliest text with its match form, else of its best near-duplicate that is
  also close to that group's canonical text (``best_group_for``); a text with nothing left once normalised
  joins nothing and is listed nowhere;
- a similar list holds the k texts with the highest score outside the text's own group, where the score is
  the cosine of the content words' TF-IDF (in the vocabulary of the latest clustering; with e5 vectors, its mean
  with the e5 cosine) raised to the estimated shingle overlap of a near-copy, ties going to the earlier text;
- two duplicate groups form one idea when each is among the other's closest and close in meaning
  (``ideas.group_ideas``), and an idea always stays in one theme.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
import time
from array import array
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from scipy import sparse

from .corpus import (
    SEMANTIC_AUTO_LIMIT,
    SIMILAR_K,
    UNCLUSTERED_LABEL,
    ThemeSpace,
    duplicate_groups,
    fit_theme_space,
    similar_lists,
)
from .duplicates import NEAR_DUPLICATE_THRESHOLD, NearDuplicate, best_group_for, find_near_duplicates
from .ideas import group_ideas, idea_similar, proposal_key
from .learn import import_now
from .lsh import MemoryBandIndex
from .minhash import estimated_jaccard, signature_of_match_form
from .neighbours import SHARD_ABOVE
from .normalize import display_form, fingerprint, load_tables, match_form
from .parallel import Aside, in_order
from .themes import UNCLUSTERED, ThemeModel, cluster_themes
from .vectors import (
    SEMANTIC_WEIGHT,
    LexicalVectorizer,
    content_words,
    list_vectorizer,
    semantic_available,
    semantic_vectors,
)

__all__ = [
    "Analysis",
    "Clustering",
    "Collection",
    "Engine",
    "Index",
    "MemoryIndex",
    "Neighbour",
    "centred_cosines",
    "lexical_cosines",
    "mixed_scores",
    "offered_lists",
    "rank_similar",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Neighbour:
    """A text the index proposes for a similar list, with its lexical cosine in the engine's vocabulary."""

    id: Hashable
    score: float


class Index(Protocol):
    """What the engine asks about the texts analyzed before. Ids grow with arrival (the earlier text wins ties)."""

    def earliest_with_fingerprint(self, fingerprint: str) -> Hashable | None:
        """The earliest analyzed text with this fingerprint (the hash of its match form), or None."""

    def near_duplicates(self, signature: np.ndarray) -> list[NearDuplicate]:
        """Analyzed texts whose estimated shingle overlap reaches the merge threshold, best first."""

    def groups_of(self, ids: Iterable[Hashable]) -> Mapping[Hashable, Hashable]:
        """The canonical id of the duplicate group of each of these texts that is in one."""

    def signatures_of(self, ids: Iterable[Hashable]) -> Mapping[Hashable, np.ndarray]:
        """The stored MinHash signature of each of these texts."""

    def members_of(self, group: Hashable) -> set[Hashable]:
        """Every text of a duplicate group (named by its canonical id)."""

    def lexical_neighbours(self, vector, *, theme: Hashable | None, limit: int) -> list[Neighbour]:
        """The analyzed texts most like ``vector`` (a row of ``Engine.vectorize``), among the members of
        ``theme`` (all texts: None), best first; their cosine in the engine's vocabulary."""

    def recent_texts(self, limit: int) -> Mapping[Hashable, str]:
        """The display forms of the most recent analyzed texts, for a collection not clustered yet."""

    def active_themes(self, theme_ids: Iterable[Hashable]) -> set[Hashable]:
        """Those of these themes that are still active (reviewers merge and retire themes)."""


@dataclass(frozen=True)
class Clustering:
    """What a clustering leaves to place later texts: the vocabulary of whole texts, the theme space, the model."""

    vectorizer: LexicalVectorizer
    space: ThemeSpace
    model: ThemeModel


@dataclass(frozen=True)
class Collection:
    """What ``Engine.analyze_collection`` found: per text its similar list, theme number and idea."""

    similar: list[list[list]]
    themes: np.ndarray
    ideas: list[Hashable]
    clustering: Clustering


@dataclass
class Analysis:
    """What the engine decided for one text; ``refused`` says why a text was not analyzed (empty, invisible)."""

    display: str
    match: str
    fingerprint: str = ""
    signature: np.ndarray | None = None
    proposal: int = 0  # ``proposal_key``: texts with one key are one idea
    group: Hashable | None = None  # canonical id of the group it joins; None: it starts none
    near: list[NearDuplicate] = field(default_factory=list)
    similar: list[tuple[Hashable, float]] = field(default_factory=list)
    theme: Hashable | None = None
    theme_score: float = 0.0
    idea: Hashable | None = None
    refused: str = ""
    vector: sparse.csr_matrix | None = None  # its row of ``Engine.vectorize``, once its similar texts were searched


def rank_similar(
    scores: Mapping[Hashable, float], *, excluded: Iterable[Hashable] = (), k: int = SIMILAR_K
) -> list[tuple[Hashable, float]]:
    """The k best-scored ids outside ``excluded``, best first, the earlier (smaller) id first on a tie."""
    left_out = set(excluded)
    ranked = sorted(
        ((i, s) for i, s in scores.items() if i not in left_out and s > 0), key=lambda i_s: (-i_s[1], i_s[0])
    )
    return [(i, round(float(s), 4)) for i, s in ranked[:k]]


def mixed_scores(
    words: Mapping[Hashable, float],
    meaning: Mapping[Hashable, float],
    overlaps: Mapping[Hashable, float],
    *,
    fallback: Mapping[Hashable, float] | None = None,
    semantic_weight: float = SEMANTIC_WEIGHT,
) -> dict[Hashable, float]:
    """The score of each candidate as ``similar_lists`` gives it with e5 vectors: the mean of its lexical cosine
    (``words``) and its e5 cosine (``meaning``, centred on the collection's mean: ``centred_cosines``), raised to its
    estimated shingle overlap. A candidate without an e5 cosine (no vector made yet) keeps its ``fallback`` score
    (its lexical one) until it has one."""
    fallback = fallback or {}
    scores = {}
    for other in {*words, *meaning, *fallback}:
        if other in meaning:
            score = (1 - semantic_weight) * words.get(other, 0.0) + semantic_weight * meaning[other]
        else:
            score = fallback.get(other, words.get(other, 0.0))
        scores[other] = max(score, overlaps.get(other, 0.0))
    return scores


def centred_cosines(
    cosines: Mapping[Hashable, float], *, own: float, to_mean: Mapping[Hashable, float], mean: np.ndarray
) -> dict[Hashable, float]:
    """e5 cosines of one text with others, turned into the cosines of the vectors less the collection's ``mean``, as
    ``similar_lists`` scores them (``centred_rows``), from what a vector index answers: each raw cosine, the text's
    product with the mean (``own``) and each other's (``to_mean``). For unit a and b,
    (a - m)·(b - m) = a·b - a·m - b·m + m·m and |a - m|² = 1 - 2 a·m + m·m. An id without its product with the
    mean is left out."""
    square = float(np.dot(mean, mean))
    own_norm = max(1.0 - 2.0 * own + square, 0.0) ** 0.5
    centred = {}
    for other, cosine in cosines.items():
        if other not in to_mean:
            continue
        norm = own_norm * max(1.0 - 2.0 * to_mean[other] + square, 0.0) ** 0.5
        centred[other] = (cosine - own - to_mean[other] + square) / norm if norm > 0 else 0.0
    return centred


def offered_lists(
    item_id: Hashable,
    similar: Sequence[tuple[Hashable, float]],
    listed: Mapping[Hashable, Mapping[Hashable, float]],
    *,
    k: int = SIMILAR_K,
) -> dict[Hashable, list[tuple[Hashable, float]]]:
    """The lists that change when a text is offered to those it names: it enters the list of each where it ranks
    among the k best, in place of the weakest. A list then looks both ways in time, as the batch path's lists do.
    ``listed`` holds each named text's current list as {other: score}; only changed lists are returned."""
    changed = {}
    for owner, score in similar:
        scores = dict(listed.get(owner, {}))
        if scores.get(item_id, -1.0) >= score:
            continue
        scores[item_id] = score
        ranked = rank_similar(scores, k=k)
        if item_id in dict(ranked):
            changed[owner] = ranked
    return changed


class Engine:
    """The analysis of Persian suggestions, given the latest clustering (None before the first one)."""

    # Before the first clustering, a text is compared with this many of the most recent texts, in a vocabulary
    # fitted on them alone (about 5 ms for 30).
    UNCLUSTERED_POOL = 30
    # Above this many texts in the latest clustering, a text is compared with the members of its nearest theme.
    WHOLE_POOL = 1000
    # Candidates asked of the index per place in the list: copies of one text take one place.
    CANDIDATES_PER_PLACE = 4

    def __init__(self, clustering: Clustering | None = None, *, k: int = SIMILAR_K) -> None:
        self.clustering = clustering
        self.k = k

    # One text ------------------------------------------------------------------------------------------------

    def forms(self, text: str) -> Analysis:
        """The display and match forms, fingerprint, signature and proposal key; ``refused`` set when nothing is
        left."""
        display = display_form(text or "")
        match = match_form(display)
        if not match:
            return Analysis(display=display, match=match, refused="nothing is left of the text once normalised")
        return Analysis(
            display=display,
            match=match,
            fingerprint=fingerprint(display),
            signature=signature_of_match_form(match),
            proposal=proposal_key(display),
        )

    def analyze_one(self, text: str, *, index: Index) -> Analysis:
        """The duplicate group, similar list and theme of one text, from what ``index`` holds.

        A text with nothing left once normalised is refused (``refused`` says why, one log line): it joins no
        group, is listed nowhere and gets no theme; the engine goes on with the next text.
        """
        result = self.forms(text)
        if result.refused:
            logger.warning("A text was not analyzed: %s", result.refused)
            return result
        result.group, result.near = self.duplicate_group(result, index=index)
        result.theme, result.theme_score = self.nearest_theme(result.display, index=index)
        result.similar = self.similar(result, index=index)
        result.idea = result.group
        return result

    def analyze_batch(
        self,
        items: Sequence[tuple[Hashable, str]],
        *,
        index: Index,
        focus: Callable[[Hashable], set[Hashable]] | None = None,
    ) -> list[Analysis]:
        """Texts that arrived together, each analyzed as ``analyze_one`` would analyze it once the batch's earlier
        texts were stored: it meets what ``index`` holds and the texts before it in ``items`` ((id, text), ids
        growing with arrival). The vectorisations and theme scores are made once for the batch, and an index with a
        ``prepare(results)`` is handed every usable text's forms first, to look them up together. ``focus(id)``
        names, before each text, the ids that text must not meet (itself, those a reviewer kept apart from it); the
        index is told the same way, through its own ``focus`` when it has one.

        A text with nothing left once normalised is refused as ``analyze_one`` refuses it; the others go on."""
        results = [self.forms(text) for _, text in items]
        for result in results:
            if result.refused:
                logger.warning("A text was not analyzed: %s", result.refused)
        usable = [position for position, result in enumerate(results) if not result.refused]
        if not usable:
            return results
        if hasattr(index, "prepare"):
            index.prepare([results[position] for position in usable])
        displays = [results[position].display for position in usable]
        themes = self.nearest_themes(displays, index=index)
        vectors = self.vectorize(displays) if self.clustering is not None else None
        batch = _Overlay(self, index, vectors)
        for row, position in enumerate(usable):
            item_id, result = items[position][0], results[position]
            vector = None if vectors is None else vectors[row]
            batch.focus(focus(item_id) if focus is not None else {item_id})
            result.group, result.near = self.duplicate_group(result, index=batch)
            result.theme, result.theme_score = themes[row]
            result.similar = self.similar(result, index=batch, vector=vector)
            result.idea = result.group
            batch.add(item_id, result)
        return results

    def duplicate_group(self, result: Analysis, *, index: Index) -> tuple[Hashable | None, list[NearDuplicate]]:
        """The group a text joins (canonical id), as ``duplicate_groups`` decides in a batch, and its near-copies."""
        near = index.near_duplicates(result.signature)
        earliest = index.earliest_with_fingerprint(result.fingerprint)
        if earliest is not None:
            return index.groups_of([earliest]).get(earliest, earliest), near
        if not near:
            return None, near
        group_of = index.groups_of([d.id for d in near])
        canonicals = {group_of.get(d.id, d.id) for d in near}
        stored = index.signatures_of(canonicals)

        def canonical_signature(group):
            return stored.get(group, np.zeros_like(result.signature))

        return best_group_for(near, group_of, canonical_signature, result.signature), near

    def vectorize(self, displays: Sequence[str]) -> sparse.csr_matrix:
        """Texts in the vocabulary of the latest clustering (the rows the index's neighbours are scored with)."""
        if self.clustering is None:
            raise ValueError("no clustering yet: nothing to vectorise with")
        return self.clustering.vectorizer.transform(list(displays))

    def similar(self, result: Analysis, *, index: Index, vector=None) -> list[tuple[Hashable, float]]:
        """The text's k most similar texts outside its own group, scored as ``similar_lists`` scores them
        (``vector``: the text's row of ``vectorize``, when the caller has made it)."""
        scores: dict[Hashable, float] = {}
        for dup in result.near:
            scores[dup.id] = max(scores.get(dup.id, 0.0), float(dup.score))
        limit = self.k * self.CANDIDATES_PER_PLACE
        if self.clustering is None:
            recent = index.recent_texts(self.UNCLUSTERED_POOL)
            cosines = lexical_cosines(result.display, recent)
            neighbours = [Neighbour(i, s) for i, s in sorted(cosines.items(), key=lambda i_s: -i_s[1])[:limit]]
        else:
            theme = None
            if sum(self.clustering.model.sizes) > self.WHOLE_POOL:
                theme = result.theme
                if theme is None:
                    neighbours = []
            if sum(self.clustering.model.sizes) <= self.WHOLE_POOL or theme is not None:
                if vector is None:
                    vector = self.vectorize([result.display])
                result.vector = vector
                neighbours = index.lexical_neighbours(vector, theme=theme, limit=limit)
        for neighbour in neighbours:
            scores[neighbour.id] = max(scores.get(neighbour.id, 0.0), float(neighbour.score))
        # A near-copy below the merge threshold still ranks by its overlap, as in the batch path.
        stored = index.signatures_of([i for i in scores if i not in {d.id for d in result.near}])
        for other, other_signature in stored.items():
            scores[other] = max(scores[other], float(estimated_jaccard(result.signature, other_signature)))
        own = index.members_of(result.group) | {result.group} if result.group is not None else set()
        return rank_similar(scores, excluded=own, k=self.k)

    def nearest_theme(self, display: str, dense: np.ndarray | None = None, *, index: Index) -> tuple:
        """The active theme nearest to a text (and its e5 vector) in the latest clustering's space, and its cosine;
        (None, 0.0) before the first clustering, or for a text with nothing to place it by."""
        return self.nearest_themes([display], dense, index=index)[0]

    def nearest_themes(self, displays: Sequence[str], dense: np.ndarray | None = None, *, index: Index) -> list:
        """``nearest_theme`` of each of these texts, scored together, the active themes asked once."""
        if self.clustering is None or not len(self.clustering.model.centroids) or not len(displays):
            return [(None, 0.0)] * len(displays)
        model = self.clustering.model
        all_scores, placeable = model.scores(self.clustering.space.transform(list(displays), dense))
        theme_ids = model.theme_ids or list(range(len(model.centroids)))
        active = index.active_themes([t for t in theme_ids if t is not None])
        nearest = []
        for scores, can_place in zip(all_scores, placeable, strict=True):
            found = (None, 0.0)
            if can_place:
                for position in np.argsort(-scores).tolist():
                    if theme_ids[position] in active:
                        found = (theme_ids[position], float(scores[position]))
                        break
            nearest.append(found)
        return nearest

    # Themes ---------------------------------------------------------------------------------------------------

    def cluster(
        self,
        ids: Sequence[Hashable],
        displays: Sequence[str],
        groups: Sequence[Hashable],
        dense: np.ndarray | None = None,
        *,
        ideas: Sequence[Hashable],
        n_themes: int | None = None,
        chars: bool = True,
        vectorizer: LexicalVectorizer | None = None,
        fitted: tuple[ThemeSpace, sparse.csr_matrix] | None = None,
        workers: int = 1,
    ) -> tuple[np.ndarray, list[Hashable], Clustering]:
        """Themes of a collection whose ideas are known (one key per text, as ``group_ideas`` finds them): each
        text's theme number (``UNCLUSTERED`` for one with nothing to cluster), its idea, and the clustering that
        places later texts (``vectorizer``, the words of whole texts, is fitted here unless given; ``chars``: themes
        on character n-grams as well as words; ``fitted``: ``fit_theme_space`` of these texts, when the caller has
        it already; ``workers``: processes reading the themes' texts for their labels).
        Themes are clustered over ideas, so an idea always stays in one theme. The engine then places texts in this
        clustering."""
        ideas = list(ideas)
        if vectorizer is None:
            vectorizer = list_vectorizer()
            vectorizer.fit_transform(list(displays))
        space, vectors = fit_theme_space(list(displays), dense, chars=chars) if fitted is None else fitted
        labels, model = cluster_themes(
            vectors, ideas, list(displays), n_themes=n_themes, copies=list(groups), workers=workers
        )
        self.clustering = Clustering(vectorizer=vectorizer, space=space, model=model)
        return labels, ideas, self.clustering

    def analyze_collection(
        self,
        ids: Sequence[Hashable],
        displays: Sequence[str],
        groups: Sequence[Hashable],
        signatures: np.ndarray,
        dense: np.ndarray | None = None,
        *,
        n_themes: int | None = None,
        chars: bool = True,
        matches: Sequence[str] | None = None,
        proposals: Sequence[int] | None = None,
        separate: frozenset[frozenset] = frozenset(),
        workers: int = 1,
    ) -> Collection:
        """Similar lists, ideas and themes of a collection whose duplicate groups are known: the step the file's
        analysis and the portal's re-clustering share. The lists are searched in one vocabulary fitted on the whole
        collection (an approximate index proposes, the exact score decides); ``dense`` (e5 vectors, one per text)
        is mixed into the lists only when every text has one, and into the themes as ``ThemeSpace`` says.
        ``matches``: the texts' match forms, when the caller has them already (made here otherwise), or any key per
        text that is equal for equal match forms and false for an empty one (``FormSignatures.form_keys``).
        ``proposals``: the texts' ``proposal_key``, when the caller has them (made here otherwise). ``separate``:
        pairs of ids a reviewer said are not the same, never in one idea. ``workers``: processes reading the themes'
        texts for their labels, with the labels of one."""
        matches = [match_form(d) for d in displays] if matches is None else matches
        proposals = [proposal_key(d) for d in displays] if proposals is None else proposals
        # The themes' vectors need nothing the lists and ideas find: up to SHARD_ABOVE texts, where the lists'
        # candidate graph is built on one thread and the second core is otherwise idle, they are fitted beside.
        beside = workers > 1 and len(ids) <= SHARD_ABOVE
        # Up to the same size the lists' chunks are searched in forked processes too. Above it they are not: at a
        # million, searchers forked from a 3.5 GB process cost 630 MB more in all (the pages they held, and this
        # process's copies of the shared pages it wrote while they ran: 4,392 MB against 3,764 MB) for 16 s of 546.
        searchers = workers if beside else 1
        with Aside(fit_theme_space, list(displays), dense, chars=chars, fork=beside) as fitting:
            vectorizer, similar, ideas = self._lists_and_ideas(
                ids,
                displays,
                groups,
                signatures,
                dense,
                matches=matches,
                proposals=proposals,
                separate=separate,
                workers=searchers,
            )
            del matches  # read by the lists only
            started = time.perf_counter()
            themes, ideas, clustering = self.cluster(
                ids,
                displays,
                groups,
                dense,
                ideas=ideas,
                n_themes=n_themes,
                chars=chars,
                vectorizer=vectorizer,
                fitted=fitting.result(),
                workers=workers,
            )
            logger.info("Themes in %.1f s%s", time.perf_counter() - started, _peak())
        return Collection(similar=similar, themes=themes, ideas=ideas, clustering=clustering)

    def _lists_and_ideas(self, ids, displays, groups, signatures, dense, *, matches, proposals, separate, workers):
        """``analyze_collection``'s similar lists and ideas, and the vocabulary the lists were searched in. The whole
        texts' vectors go with the return, before the themes' own are fitted here (words and, up to 200,000 texts,
        character n-grams: about 900 MB at 200,000)."""
        started = time.perf_counter()
        vectorizer = list_vectorizer()
        vectors = vectorizer.fit_transform(list(displays))
        logger.info("Vectors of %s texts in %.1f s%s", len(ids), time.perf_counter() - started, _peak())
        complete = dense if dense is not None and bool(np.any(dense != 0, axis=1).all()) else None
        started = time.perf_counter()
        similar = similar_lists(
            list(ids), list(groups), matches, signatures, vectors, complete, k=self.k, workers=workers
        )
        logger.info("Similar lists of %s texts in %.1f s%s", len(ids), time.perf_counter() - started, _peak())
        started = time.perf_counter()
        ideas = group_ideas(
            ids=list(ids),
            canonical=list(groups),
            similar=idea_similar(similar, list(ids), vectors, complete),
            separate=separate,
            proposals=proposals,
        )
        logger.info("Ideas in %.1f s%s", time.perf_counter() - started, _peak())
        return vectorizer, similar, ideas

    # Many texts -----------------------------------------------------------------------------------------------

    def analyze_many(
        self,
        records: Iterable[tuple[Hashable, str]],
        *,
        n_themes: int | None = None,
        semantic: bool | None = None,
    ) -> list[dict]:
        """Duplicates, similar texts, ideas and themes of a whole collection of (id, text), in the file's format:
        ``{"id", "duplicate_of", "idea", "cluster", "cluster_label", "similar"}``.

        ``semantic=None`` uses the optional e5 tier when installed and the collection has at most
        SEMANTIC_AUTO_LIMIT texts. A text with nothing left once normalised gets no group, no similar texts and
        the theme ``UNCLUSTERED_LABEL``, with one log line naming them; the rest are analyzed as usual.
        """
        return list(self.iter_many(records, n_themes=n_themes, semantic=semantic))

    def iter_many(
        self,
        records: Iterable[tuple[Hashable, str]],
        *,
        n_themes: int | None = None,
        semantic: bool | None = None,
        workers: int = 1,
    ) -> Iterator[dict]:
        """``analyze_many``'s results one at a time, all decided before the first is given: a caller that writes
        them out never holds them all (a million took about 400 MB as dicts). ``workers`` processes share the
        per-text steps (forms, signatures, near-duplicates, the reading of themes for labels; ``parallel.in_order``),
        with the same results."""
        # Only the display forms are kept, not the texts as given: a million of those took a gigabyte.
        ids: list[Hashable] = []
        displays: list[str] = []
        matches: list[str] = []
        proposals = array("q")  # a million keys as numbers in 8 MB

        def texts() -> Iterator[list[str]]:
            for n, chunk in enumerate(itertools.batched(records, _FORMS_CHUNK)):
                if n == 2 * workers:
                    # Two chunks are handed over to each forked process: scikit-learn is imported meanwhile, not
                    # before they were forked (0.6 s of one core's start-up, the other idle).
                    import_now()
                ids.extend(item_id for item_id, _ in chunk)
                yield [text for _, text in chunk]

        started = time.perf_counter()
        if workers > 1:
            load_tables()  # once, here: forked processes share them
        for chunk_displays, chunk_matches, chunk_proposals in in_order(_forms_of, texts(), workers=workers):
            displays += _split(*chunk_displays)
            matches += _split(*chunk_matches)
            proposals.extend(chunk_proposals)
        if len(set(ids)) != len(ids):
            raise ValueError("ids must be unique")
        if not ids:
            return iter(())
        logger.info("Forms of %s texts in %.1f s%s", len(ids), time.perf_counter() - started, _peak())
        started = time.perf_counter()
        canonical, signatures = duplicate_groups(ids, matches, workers=workers)
        logger.info("Duplicate groups in %.1f s%s", time.perf_counter() - started, _peak())
        if not any(matches):
            logger.warning("No theme and no similar texts for %s texts with nothing left once normalised", len(ids))
            return (_result(i, canonical[n], i, None, UNCLUSTERED_LABEL, []) for n, i in enumerate(ids))

        # From here on the match forms matter only as which texts share one: numbers say as much.
        del matches
        if semantic is None:
            semantic = semantic_available() and len(ids) <= SEMANTIC_AUTO_LIMIT
        dense = semantic_vectors(displays) if semantic else None
        collection = self.analyze_collection(
            ids,
            displays,
            canonical,
            signatures,
            dense,
            n_themes=n_themes,
            matches=signatures.form_keys(),
            proposals=proposals,
            workers=workers,
        )
        themes, ideas, similar = collection.themes, collection.ideas, collection.similar
        skipped = [ids[i] for i in np.flatnonzero(themes == UNCLUSTERED)]
        if skipped:
            logger.warning(
                "No theme for %s of %s texts, with nothing to cluster once normalised: %s",
                len(skipped),
                len(ids),
                ", ".join(map(str, skipped[:20])) + (" ..." if len(skipped) > 20 else ""),
            )
        labels = collection.clustering.model.labels
        return (
            _result(item_id, canonical[n], ideas[n], *_theme_of(themes[n], labels), similar[n])
            for n, item_id in enumerate(ids)
        )


class MemoryIndex:
    """An ``Index`` held in this process: what a script or a test feeds the engine one text at a time.

    ``add`` records what the engine decided for a text; ``themes`` maps a text to its theme, which
    ``Engine.cluster`` results or placements fill in. Ids must grow with arrival, as database keys do.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.displays: dict[Hashable, str] = {}
        self.fingerprints: dict[str, Hashable] = {}
        self.signatures: dict[Hashable, np.ndarray] = {}
        self.group: dict[Hashable, Hashable] = {}
        self.themes: dict[Hashable, Hashable] = {}
        self.bands = MemoryBandIndex()
        self._pool: tuple[object, list[Hashable], sparse.csr_matrix | None] = (None, [], None)

    def add(self, item_id: Hashable, result: Analysis) -> None:
        self.displays[item_id] = result.display
        if result.refused:
            return
        self.fingerprints.setdefault(result.fingerprint, item_id)
        self.signatures[item_id] = result.signature
        self.bands.add(item_id, result.signature)
        if result.group is not None:
            self.group[item_id] = result.group
            self.group.setdefault(result.group, result.group)
        if result.theme is not None:
            self.themes[item_id] = result.theme

    def earliest_with_fingerprint(self, fingerprint: str) -> Hashable | None:
        return self.fingerprints.get(fingerprint)

    def near_duplicates(self, signature: np.ndarray, threshold: float = NEAR_DUPLICATE_THRESHOLD):
        return find_near_duplicates(signature, self.bands, threshold=threshold)

    def groups_of(self, ids: Iterable[Hashable]) -> dict[Hashable, Hashable]:
        return {i: self.group[i] for i in ids if i in self.group}

    def signatures_of(self, ids: Iterable[Hashable]) -> dict[Hashable, np.ndarray]:
        return {i: self.signatures[i] for i in ids if i in self.signatures}

    def members_of(self, group: Hashable) -> set[Hashable]:
        return {i for i, g in self.group.items() if g == group}

    def lexical_neighbours(self, vector, *, theme: Hashable | None, limit: int) -> list[Neighbour]:
        ids = [i for i in self.signatures if theme is None or self.themes.get(i) == theme]
        if not ids:
            return []
        clustering, held, matrix = self._pool
        if clustering is not self.engine.clustering or held != ids[: len(held)]:
            held, matrix = [], None
        if len(held) < len(ids):
            added = self.engine.vectorize([self.displays[i] for i in ids[len(held) :]])
            matrix = added if matrix is None else sparse.vstack([matrix, added], format="csr")
            self._pool = (self.engine.clustering, ids, matrix)
        values = (matrix @ vector.T).toarray().ravel()
        best = np.argsort(-values, kind="stable")[:limit]
        return [Neighbour(ids[i], float(values[i])) for i in best.tolist() if values[i] > 0]

    def recent_texts(self, limit: int) -> dict[Hashable, str]:
        recent = list(self.signatures)[-limit:][::-1]
        return {i: self.displays[i] for i in recent}

    def active_themes(self, theme_ids: Iterable[Hashable]) -> set[Hashable]:
        return set(theme_ids)


class _Overlay:
    """The ``Index`` a batch's text meets: what the caller's index holds and, in a ``MemoryIndex``, the batch's
    texts analyzed before it, as if those had been stored. ``focus`` names what the text being analyzed must not
    meet; the caller's index is told it through its own ``focus``, when it has one. ``vectors``: the batch's usable
    texts' rows of ``Engine.vectorize``, in their order (None before the first clustering), what later texts'
    similar searches score the earlier ones by."""

    def __init__(self, engine: Engine, stored: Index, vectors: sparse.csr_matrix | None = None) -> None:
        self.stored = stored
        self.batch = MemoryIndex(engine)
        self._excluded: set[Hashable] = set()
        self._vectors = vectors
        self._ids: list[Hashable] = []  # the usable texts added, one per row of ``vectors``

    def focus(self, excluded: set[Hashable]) -> None:
        """The next look-ups are the next text's, which meets none of ``excluded``."""
        self._excluded = set(excluded)
        if hasattr(self.stored, "focus"):
            self.stored.focus(self._excluded)

    def add(self, item_id: Hashable, result: Analysis) -> None:
        """A usable text of the batch, analyzed (the next row of ``vectors``)."""
        self.batch.add(item_id, result)
        self._ids.append(item_id)

    def earliest_with_fingerprint(self, fingerprint: str) -> Hashable | None:
        earliest = self.stored.earliest_with_fingerprint(fingerprint)
        if earliest is None:
            earliest = self.batch.earliest_with_fingerprint(fingerprint)
        return None if earliest in self._excluded else earliest

    def near_duplicates(self, signature: np.ndarray) -> list[NearDuplicate]:
        found = self.stored.near_duplicates(signature)
        found += [d for d in self.batch.near_duplicates(signature) if d.id not in self._excluded]
        return sorted(found, key=lambda d: (-d.score, str(d.id)))

    def groups_of(self, ids: Iterable[Hashable]) -> dict[Hashable, Hashable]:
        ids = list(ids)
        grouped = self.batch.groups_of(ids)  # a group the batch made holds a stored text, not yet written
        grouped.update(self.stored.groups_of([i for i in ids if i not in grouped]))
        return grouped

    def signatures_of(self, ids: Iterable[Hashable]) -> dict[Hashable, np.ndarray]:
        ids = list(ids)
        held = self.batch.signatures_of(ids)
        held.update(self.stored.signatures_of([i for i in ids if i not in held]))
        return held

    def members_of(self, group: Hashable) -> set[Hashable]:
        return self.stored.members_of(group) | self.batch.members_of(group)

    def lexical_neighbours(self, vector, *, theme: Hashable | None, limit: int) -> list[Neighbour]:
        found = self.stored.lexical_neighbours(vector, theme=theme, limit=limit)
        rows = [
            row
            for row, item_id in enumerate(self._ids)
            if item_id not in self._excluded and (theme is None or self.batch.themes.get(item_id) == theme)
        ]
        if rows and self._vectors is not None:
            values = (self._vectors[rows] @ vector.T).toarray().ravel()
            scored = zip(rows, values.tolist(), strict=True)
            found += [Neighbour(self._ids[row], value) for row, value in scored if value > 0]
        return sorted(found, key=lambda n: -n.score)[:limit]

    def recent_texts(self, limit: int) -> dict[Hashable, str]:
        recent = {i: text for i, text in self.batch.recent_texts(limit).items() if i not in self._excluded}
        for i, text in self.stored.recent_texts(limit).items():
            recent.setdefault(i, text)
        return dict(itertools.islice(recent.items(), limit))

    def active_themes(self, theme_ids: Iterable[Hashable]) -> set[Hashable]:
        return self.stored.active_themes(theme_ids)


def lexical_cosines(display: str, texts: Mapping[Hashable, str]) -> dict[Hashable, float]:
    """Cosines of the word TF-IDF (``list_vectorizer``'s weighting: sublinear term counts, smoothed idf, unit
    length) weighed across these texts and this one alone: the score of a collection too small to have been
    clustered yet. Written out for these few texts: fitting ``list_vectorizer`` on them cost 2.7 ms of each
    analysis before the first clustering, for the same cosines to the sixth decimal."""
    if not texts:
        return {}
    keys = list(texts)
    theirs = [_counts_of(texts[key]) for key in keys]
    own = _counts_of(display)
    documents = Counter(word for counts in (*theirs, own) for word in counts)
    total = len(keys) + 1
    idf = {word: math.log((1 + total) / (1 + n)) + 1 for word, n in documents.items()}

    def length(counts: dict[str, float]) -> float:
        return math.sqrt(sum((tf * idf[word]) ** 2 for word, tf in counts.items()))

    own_length = length(own)
    cosines = {}
    for key, counts in zip(keys, theirs, strict=True):
        lengths = own_length * length(counts)
        shared = sum(tf * counts[word] * idf[word] ** 2 for word, tf in own.items() if word in counts)
        cosines[key] = shared / lengths if lengths else 0.0
    return cosines


@functools.lru_cache(maxsize=1024)
def _counts_of(display: str) -> dict[str, float]:
    """The sublinear count (1 + log n) of each content word of a text, kept for the texts ``lexical_cosines``
    meets again and again: each of a collection's first texts is weighed against the same most recent ones.
    Read only."""
    return {word: 1 + math.log(n) for word, n in Counter(content_words(display)).items()}


_FORMS_CHUNK = 2_000


def _peak() -> str:
    """The peak memory so far, for a stage's log line (where the platform gives it; Linux counts kilobytes)."""
    try:
        import resource
    except ImportError:
        return ""
    return f", peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB so far"


def _forms_of(texts: list[str]) -> tuple[tuple[str, list[int]], tuple[str, list[int]], list[int]]:
    """The display and match forms of a chunk of texts (as given), each joined into one string with their lengths,
    and the texts' proposal keys (``proposal_key``).

    One string, not a list of them: another process's results are unpickled by one of the pool's threads, and
    300,000 texts' forms made there stayed in that thread's malloc arena (their run's peak was 125 MB higher);
    ``_split`` makes them here."""
    displays = [display_form(text or "") for text in texts]
    matches = [match_form(display) for display in displays]
    proposals = [proposal_key(display) for display in displays]
    return ("".join(displays), [len(d) for d in displays]), ("".join(matches), [len(m) for m in matches]), proposals


def _split(joined: str, lengths: list[int]) -> list[str]:
    ends = list(itertools.accumulate(lengths))
    return [joined[end - length : end] for end, length in zip(ends, lengths, strict=True)]


def _theme_of(theme: int, labels: list[str]) -> tuple[str | None, str]:
    if theme == UNCLUSTERED:
        return None, UNCLUSTERED_LABEL
    return f"t{theme:02d}", labels[theme]


def _result(item_id, canonical, idea, cluster: str | None, label: str, similar: list) -> dict:
    return {
        "id": item_id,
        "duplicate_of": None if canonical == item_id else canonical,
        "idea": idea,
        "cluster": cluster,
        "cluster_label": label,
        "similar": similar,
    }

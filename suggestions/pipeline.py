"""The per-suggestion analysis and the collection-wide re-clustering, on top of `suggestions.analysis`.

Band index: Redis when REDIS_URL is set (shared by every worker, rebuilt from the database when Redis
has lost it); otherwise an in-process index that catches up with the database before every look-up.
"""

import logging
from dataclasses import dataclass
from functools import partial

import numpy as np
from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from scipy import sparse

from suggestions import analysis, grouping, idea_sync, semantic
from suggestions.analysis import snapshot_format
from suggestions.analysis.vectors import SEMANTIC_WEIGHT
from suggestions.caches import process_caches
from suggestions.choices import State
from suggestions.grouping import separated_from, stored_signatures
from suggestions.models import (
    SimilarSuggestion,
    Suggestion,
    SuggestionEmbedding,
    Theme,
    ThemeMembership,
    ThemeSnapshot,
)
from suggestions.similar_lists import one_per_group

logger = logging.getLogger(__name__)

SIMILAR_K = 5
# Candidates looked up per suggestion shown in a live list: copies of one text take one place.
SIMILAR_CANDIDATES = 4
THEME_POOL = 2000  # most recent members of a theme searched for similar suggestions
WHOLE_POOL = 1000  # a collection this small is searched whole
SNAPSHOTLESS_POOL = 30  # most recent suggestions searched before the first re-clustering
SEMANTIC_CANDIDATES = 20  # e5 neighbours weighed beside the lexical list
CHAR_NGRAMS_LIMIT = 200_000  # above this many suggestions, themes are clustered on words alone (memory)
SEMANTIC_THEMES_LIMIT = 100_000  # ...and above this many, without e5 vectors (memory)


# Band index ---------------------------------------------------------------------------------------------


class DatabaseSyncedIndex:
    """An in-memory band index that reads signatures the database has gained since its last look."""

    def __init__(self):
        self.index = analysis.MemoryBandIndex()
        self.synced_pk = 0

    def sync(self):
        rows = (
            Suggestion.objects.filter(pk__gt=self.synced_pk, signature__isnull=False)
            .order_by("pk")
            .values_list("pk", "signature")
        )
        for pk, signature in rows.iterator(chunk_size=2000):
            if pk not in self.index:
                self.index.add(pk, analysis.signature_from_bytes(signature))
            self.synced_pk = pk

    def query(self, signature):
        self.sync()
        return self.index.query(signature)

    def add(self, pk, signature):
        if pk not in self.index:
            self.index.add(pk, signature)


class RedisIndex:
    def __init__(self, url: str, prefix: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10)
        self.index = analysis.RedisBandIndex(self.client, prefix=prefix)
        self.built_key = f"{prefix}:built"
        self.lock_key = f"{prefix}-rebuild-lock"  # outside the prefix, which a rebuild clears

    def ensure_built(self):
        if self.client.exists(self.built_key):
            return
        # Redis lost the index (restart without persistence, or first run): rebuild it from the database.
        with self.client.lock(self.lock_key, timeout=600, blocking_timeout=600):
            if self.client.exists(self.built_key):
                return
            self.index.clear()
            rows = Suggestion.objects.filter(signature__isnull=False).values_list("pk", "signature")
            count = analysis.rebuild_index(self.index, rows.iterator(chunk_size=2000))
            self.client.set(self.built_key, timezone.now().isoformat())
            logger.info("Rebuilt the Redis band index from %s stored signatures", count)

    def query(self, signature):
        self.ensure_built()
        return [int(pk) for pk in self.index.query(signature)]

    def add(self, pk, signature):
        self.index.add(pk, signature)


def band_index():
    """This process's band index, made on first use and kept in `process_caches`."""

    def make():
        if settings.REDIS_URL:
            return RedisIndex(settings.REDIS_URL, settings.LSH_REDIS_PREFIX)
        return DatabaseSyncedIndex()

    return process_caches.get_or_make("band_index", make)


# Theme snapshot -----------------------------------------------------------------------------------------


@dataclass
class Snapshot:
    key: tuple  # (version, created_at): identifies one snapshot even where a database is rebuilt, as in tests
    vectorizer: analysis.LexicalVectorizer  # whole texts, for similar suggestions
    space: analysis.ThemeSpace  # what the themes were clustered on, to place a new suggestion
    model: analysis.ThemeModel


def current_snapshot() -> Snapshot | None:
    """The latest re-clustering's vectoriser and centroids, loaded once per process and per version. None before
    the first re-clustering, and while the latest snapshot is one this release cannot read (an older release's
    pickle, or a damaged row): that one is refused with one log line, and `recluster_is_due` asks for a new one."""
    latest = ThemeSnapshot.objects.order_by("-version").values_list("version", "created_at").first()
    if latest is None:
        return None
    with process_caches.lock:
        held = process_caches.snapshot
        if held is not None and held.key == latest:
            return held
        if process_caches.refused_snapshot == latest:
            return None
        arrays, metadata = ThemeSnapshot.objects.filter(version=latest[0]).values_list("arrays", "metadata").get()
        try:
            vectorizer, space, model = snapshot_format.loads(arrays, metadata)
        except snapshot_format.UnreadableSnapshot as exc:
            process_caches.refused_snapshot = latest
            logger.warning(
                "Theme snapshot %s was refused (%s): suggestions get no theme until the re-clustering now due",
                latest[0],
                exc,
            )
            return None
        process_caches.snapshot = Snapshot(key=latest, vectorizer=vectorizer, space=space, model=model)
        return process_caches.snapshot


def latest_snapshot_is_readable() -> bool:
    """Whether the latest stored snapshot is one this release reads (True when there is none yet)."""
    if not ThemeSnapshot.objects.exists():
        return True
    return current_snapshot() is not None


# Per-suggestion analysis --------------------------------------------------------------------------------


def analyse_suggestion_text(suggestion: Suggestion) -> None:
    """Normalise, fingerprint, group with duplicates, list similar suggestions, place in a theme.
    The caller holds the claim on the suggestion (state analysing)."""
    text = f"{suggestion.title}\n{suggestion.body}"
    display = analysis.display_form(text)
    folded = analysis.match_form(display)
    signature = analysis.signature(display)
    index = band_index()
    separated = separated_from(suggestion.pk)

    exact = (
        Suggestion.objects.filter(fingerprint=analysis.fingerprint(display), state=State.ANALYSED)
        .exclude(pk=suggestion.pk)
        .exclude(pk__in=separated)
        .order_by("created_at", "pk")
        .first()
    )
    near = analysis.find_near_duplicates(
        signature, index, signatures_of=stored_signatures, exclude={suggestion.pk, *separated}
    )
    group_target = exact.pk if exact else _near_group_target(near, signature)

    with transaction.atomic():
        suggestion.normalized_text = display
        suggestion.match_text = folded
        suggestion.fingerprint = analysis.fingerprint(display)
        suggestion.signature = analysis.signature_to_bytes(signature)
        suggestion.save(update_fields=["normalized_text", "match_text", "fingerprint", "signature", "updated_at"])
        if group_target is not None:
            _join_group(suggestion, Suggestion.objects.get(pk=group_target))
        nearest = nearest_theme(display)  # asked once: both the lexical list and the placement need it
        store_similar(suggestion, _similar_for(suggestion, display, near, nearest))
        place_in_theme(suggestion, display, nearest=nearest)
    transaction.on_commit(lambda: index.add(suggestion.pk, signature))


def _near_group_target(near, signature) -> int | None:
    if not near:
        return None
    group_of = dict(
        Suggestion.objects.filter(pk__in=[d.id for d in near], duplicate_group__isnull=False).values_list(
            "pk", "duplicate_group__canonical_id"
        )
    )

    def canonical_signature(pk):
        return stored_signatures([pk]).get(pk, np.zeros_like(signature))

    return analysis.best_group_for(near, group_of, canonical_signature, signature)


def _join_group(suggestion: Suggestion, other: Suggestion) -> None:
    try:
        grouping.join_duplicate_group(suggestion=suggestion, original=other)
    except grouping.GroupingError:
        # A reviewer separated it from a member of that group since the candidates were read.
        logger.info(
            "Suggestion %s was left out of the group of %s, which a reviewer kept apart", suggestion.pk, other.pk
        )


def _own_group(suggestion: Suggestion) -> set[int]:
    if not suggestion.duplicate_group_id:
        return set()
    return set(Suggestion.objects.filter(duplicate_group_id=suggestion.duplicate_group_id).values_list("pk", flat=True))


def _best_similar(suggestion: Suggestion, scores: dict[int, float], own_group: set[int]) -> list[tuple[int, float]]:
    """Up to five other suggestions outside the suggestion's own group, best first."""
    ranked = sorted(
        ((pk, s) for pk, s in scores.items() if pk not in own_group and pk != suggestion.pk),
        key=lambda item: (-item[1], item[0]),
    )
    return [(pk, round(score, 4)) for pk, score in ranked[:SIMILAR_K]]


def store_similar(suggestion: Suggestion, similar: list[tuple[int, float]]) -> None:
    """Write a suggestion's list, and once that is committed offer the suggestion to the lists it names."""
    SimilarSuggestion.objects.filter(suggestion=suggestion).delete()
    _create_lists({suggestion.pk: similar})
    transaction.on_commit(partial(offer_to_lists, suggestion.pk, similar))


def offer_to_lists(suggestion_id: int, similar: list[tuple[int, float]]) -> None:
    """Put a suggestion in the lists of those it names where it ranks among their five, in place of the
    weakest. A list then looks both ways in time: an earlier suggestion also shows the later ones like it, as
    the batch path's lists do. A transaction of its own, after the analysis has committed: the analysis holds
    locks on other suggestions (joining a group) that two workers could otherwise wait for in a circle, and a
    failure here loses an offer, never an analysis."""
    offered = dict(similar)
    if not offered:
        return
    try:
        with transaction.atomic():
            # One writer per list, locked in id order. FOR NO KEY UPDATE: the foreign-key checks of the rows
            # written here (FOR KEY SHARE on the suggestions they name) never wait for it.
            locked = Suggestion.objects.select_for_update(no_key=True).filter(pk__in=offered).order_by("pk")
            list(locked.values_list("pk"))
            listed: dict[int, dict[int, float]] = {pk: {} for pk in offered}
            rows = SimilarSuggestion.objects.filter(suggestion_id__in=offered)
            for owner_id, other_id, score in rows.values_list("suggestion_id", "other_id", "score"):
                listed[owner_id][other_id] = score
            changed = {}
            for owner_id, score in offered.items():
                scores = listed[owner_id]
                if scores.get(suggestion_id, -1.0) >= score:
                    continue
                scores[suggestion_id] = score
                ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:SIMILAR_K]
                if suggestion_id in dict(ranked):
                    changed[owner_id] = ranked
            SimilarSuggestion.objects.filter(suggestion_id__in=changed).delete()
            _create_lists(changed)
    except DatabaseError as exc:
        logger.warning("Suggestion %s was not offered to similar lists (%s)", suggestion_id, exc.__class__.__name__)


def _create_lists(lists: dict[int, list[tuple[int, float]]]) -> None:
    SimilarSuggestion.objects.bulk_create(
        SimilarSuggestion(suggestion_id=owner_id, other_id=other_id, score=score, rank=rank)
        for owner_id, ranked in lists.items()
        for rank, (other_id, score) in enumerate(ranked)
    )


def _similar_for(suggestion: Suggestion, display: str, near, nearest: tuple) -> list[tuple[int, float]]:
    """The lexical list: near-duplicates and the most alike members of the nearest theme."""
    scores: dict[int, float] = {}
    for dup in near:
        scores[int(dup.id)] = max(scores.get(int(dup.id), 0.0), float(dup.score))
    for pk, score in lexical_neighbours(display, exclude={suggestion.pk}, nearest=nearest):
        scores[pk] = max(scores.get(pk, 0.0), score)
    return _best_similar(suggestion, scores, _own_group(suggestion))


def similar_with_meaning(suggestion: Suggestion, vector: np.ndarray) -> list[tuple[int, float]]:
    """The similar list re-ranked with the suggestion's e5 neighbours, scored as the batch path scores them:
    the mean of the lexical and e5 cosines, or the estimated word overlap of a near-copy when that is higher.
    A paraphrase in other words, which shares few words and may sit in another theme, is found this way."""
    index = semantic.vector_index()
    listed = dict(SimilarSuggestion.objects.filter(suggestion=suggestion).values_list("other_id", "score"))
    own_group = _own_group(suggestion)
    found = dict(index.nearest(vector, k=SEMANTIC_CANDIDATES, exclude={suggestion.pk, *own_group}))
    meaning = {**index.cosines(vector, listed), **found}
    # The matrix may still hold a suggestion deleted since; only analysed ones are listed.
    texts = dict(Suggestion.objects.analysed().filter(pk__in={*listed, *found}).values_list("pk", "normalized_text"))
    words = _lexical_cosines(suggestion.normalized_text, texts)
    overlap = _overlaps(suggestion, texts)
    scores = {}
    for pk in texts:
        if pk in meaning:
            scores[pk] = (1 - SEMANTIC_WEIGHT) * words.get(pk, 0.0) + SEMANTIC_WEIGHT * meaning[pk]
        else:  # no vector yet: its lexical score stands until it has one
            scores[pk] = listed.get(pk, 0.0)
        scores[pk] = max(scores[pk], overlap.get(pk, 0.0))
    return _best_similar(suggestion, scores, own_group)


def _overlaps(suggestion: Suggestion, others) -> dict[int, float]:
    if not suggestion.signature:
        return {}
    own = analysis.signature_from_bytes(suggestion.signature)
    return {pk: float(analysis.estimated_jaccard(own, other)) for pk, other in stored_signatures(others).items()}


def _lexical_cosines(display: str, texts: dict[int, str]) -> dict[int, float]:
    """Cosines of the character and word TF-IDF weighed across these texts alone. Scores made this way are on
    one scale whenever a list is made; the latest re-clustering's vocabulary, fitted on whatever the collection
    held then, put lists made before and after it on different ones (paraphrase recall 0.92 against 0.95 on
    the development set with re-clustering every ten suggestions)."""
    if not texts:
        return {}
    pks = list(texts)
    vectorizer = analysis.LexicalVectorizer()
    matrix = vectorizer.fit_transform([texts[pk] for pk in pks])
    cosines = (matrix @ vectorizer.transform([display]).T).toarray().ravel()
    return {pk: float(cosine) for pk, cosine in zip(pks, cosines, strict=True)}


def lexical_neighbours(
    display: str, *, exclude=(), limit: int = SIMILAR_K, nearest: tuple | None = None
) -> list[tuple[int, float]]:
    """The suggestions most like a text by their words (cosine of the lexical vectors), among the most recent
    members of its nearest theme (`nearest`, when the caller has asked already); in a small collection, among
    all of it."""
    snapshot = current_snapshot()
    if snapshot is None:
        # Before the first re-clustering (the beat makes one at RECLUSTER_MIN_SUGGESTIONS): weigh words across
        # the most recent suggestions alone. Fitting on 30 costs about 5 ms, on a thousand 45 ms.
        recent = dict(
            Suggestion.objects.analysed().order_by("-pk").values_list("pk", "normalized_text")[:SNAPSHOTLESS_POOL]
        )
        cosines = _lexical_cosines(display, recent)
        pks, values = list(cosines), np.array(list(cosines.values()))
    else:
        theme_id = None
        if sum(snapshot.model.sizes) > WHOLE_POOL:
            theme_id, _ = nearest or nearest_theme(display)
            if theme_id is None:
                return []
        pks, matrix = _pool(snapshot, theme_id)
        if not pks:
            return []
        values = (matrix @ snapshot.vectorizer.transform([display]).T).toarray().ravel()
    excluded = set(exclude)
    best = [i for i in np.argsort(-values)[: limit + len(excluded)] if pks[i] not in excluded][:limit]
    return [(pks[i], float(values[i])) for i in best if values[i] > 0]


# A pool of 2,000 suggestions holds about 9 MB of vectors: a process keeps the pools it used last, not one for
# every theme it ever searched (256 of them held 2.3 GB).
POOLS_KEPT = 24


def _pool(snapshot: Snapshot, theme_id: int | None):
    """The vectors of the THEME_POOL most recent analysed members of a theme (of all suggestions: None), kept
    per process and topped up on each look-up with those analysed since: the form's live look-up asks on
    every pause in typing, and a burst of submissions must find each other. One analysed late, with an id
    below the newest already held, joins at the next re-clustering."""
    key = (snapshot.key, theme_id)
    pools = process_caches.pools
    pks, matrix = pools.get(key, ([], None))
    if key in pools:
        pools.move_to_end(key)
    rows = Suggestion.objects.analysed().filter(pk__gt=pks[-1] if pks else 0)
    if theme_id is not None:
        rows = rows.filter(theme_membership__theme_id=theme_id)
    fresh = list(rows.order_by("-pk").values_list("pk", "normalized_text")[:THEME_POOL])[::-1]
    if fresh:
        added = snapshot.vectorizer.transform([text for _, text in fresh])
        pks = [*pks, *(pk for pk, _ in fresh)][-THEME_POOL:]
        matrix = added if matrix is None else sparse.vstack([matrix, added], format="csr")[-THEME_POOL:]
        pools[key] = (pks, matrix)
        pools.move_to_end(key)
        while len(pools) > POOLS_KEPT:
            pools.popitem(last=False)
    return pks, matrix


def nearest_theme(display: str, dense: np.ndarray | None = None) -> tuple[int | None, float]:
    """The active theme nearest to a text (and its e5 vector, when given) in the latest re-clustering's space;
    (None, 0.0) before the first one."""
    snapshot = current_snapshot()
    if snapshot is None:
        return None, 0.0
    return nearest_active_theme(snapshot, snapshot.space.transform([display], dense))


def nearest_active_theme(snapshot: Snapshot, vector) -> tuple[int | None, float]:
    """The closest theme that is still active: reviewers merge and retire themes between re-clusterings,
    and a cluster made only of reviewer placements has no theme of its own."""
    model = snapshot.model
    if not len(model.centroids):
        return None, 0.0
    all_scores, placeable = model.scores(vector)
    if not placeable[0]:
        return None, 0.0  # nothing to place by: a text with no words, or a vector of zeros or NaN
    scores = all_scores[0]
    candidates = [theme_id for theme_id in model.theme_ids if theme_id is not None]
    active = set(Theme.objects.filter(pk__in=candidates, is_active=True).values_list("pk", flat=True))
    for index in np.argsort(-scores):
        theme_id = model.theme_ids[index]
        if theme_id in active:
            return theme_id, float(scores[index])
    return None, 0.0


def place_in_theme(
    suggestion: Suggestion, display: str, vector: np.ndarray | None = None, *, nearest: tuple | None = None
) -> None:
    """Put a suggestion in its nearest theme between re-clusterings: by its words when it is analysed
    (`nearest`, when the caller has asked already), and again by words and meaning once its e5 vector is made
    (`vector`), when the themes were clustered with e5 vectors. Copies follow their canonical member; a
    reviewer's placement is never overridden."""
    current = ThemeMembership.objects.filter(suggestion=suggestion).values_list("theme_id", "source").first()
    if current is not None and current[1] == ThemeMembership.Source.REVIEWER:
        return
    theme_id, score = None, 0.0
    group = suggestion.duplicate_group
    if group is not None and group.canonical_id != suggestion.pk:
        canonical_theme = (
            ThemeMembership.objects.filter(suggestion_id=group.canonical_id).values_list("theme_id", "score").first()
        )
        if canonical_theme:
            theme_id, score = canonical_theme
    if theme_id is None:
        if vector is None:
            theme_id, score = nearest or nearest_theme(display)
        else:
            snapshot = current_snapshot()
            if snapshot is None or snapshot.space.mean is None:
                return  # themes clustered on words alone: the placement by words stands
            theme_id, score = nearest_theme(display, np.atleast_2d(vector))
        if theme_id is None:
            return
    if current is not None and current[0] == theme_id:
        return
    grouping.place_in_theme(suggestion=suggestion, theme_id=theme_id, score=score)


def similar_to_text(text: str) -> list[Suggestion]:
    """For a text being typed: up to five analysed suggestions like it, near-duplicates first, one per duplicate
    group (several times as many candidates are looked up, so that copies of one text leave room for others)."""
    display = analysis.display_form(text)
    signature = analysis.signature(display)
    candidates = SIMILAR_CANDIDATES * SIMILAR_K
    near = analysis.find_near_duplicates(signature, band_index(), signatures_of=stored_signatures, threshold=0.3)
    scores = {int(d.id): float(d.score) for d in near[:candidates]}
    for pk, score in lexical_neighbours(display, limit=candidates):
        scores[pk] = max(scores.get(pk, 0.0), score)
    ranked = [pk for pk, score in sorted(scores.items(), key=lambda item: -item[1]) if score >= 0.2]
    found = Suggestion.objects.select_related("duplicate_group").in_bulk(ranked)
    shown = [found[pk] for pk in ranked if pk in found and found[pk].state == State.ANALYSED]
    return one_per_group(shown)[:SIMILAR_K]


# Re-clustering ------------------------------------------------------------------------------------------


def recluster(*, n_themes: int | None = None, progress=None) -> dict:
    """Cluster every analysed suggestion into themes. New clusters continue the old themes they overlap,
    reviewer labels and reviewer placements are kept, and a new snapshot places later suggestions."""
    report = progress or (lambda stage, done, total: None)
    analysed = list(
        Suggestion.objects.analysed()
        .order_by("pk")
        .values_list("pk", "normalized_text", "duplicate_group__canonical_id")
    )
    # A text with nothing left once normalised (one stored before the form refused it) has no words to cluster.
    rows = [row for row in analysed if analysis.match_form(row[1] or "")]
    skipped = [pk for pk, text, _ in analysed if not analysis.match_form(text or "")]
    if len(rows) < 3:
        _log_skipped(skipped, len(analysed))
        return {"suggestions": len(analysed), "themes": 0}
    report("vectorising", 0, len(rows))
    ids = [pk for pk, _, _ in rows]
    displays = [text for _, text, _ in rows]
    groups = [canonical or pk for pk, _, canonical in rows]
    top_similar = dict(SimilarSuggestion.objects.filter(rank=0).values_list("suggestion_id", "other_id"))
    canonical_of = dict(zip(ids, groups, strict=True))
    units = analysis.idea_units(
        ids,
        groups,
        [[[top_similar[pk], 1.0]] if pk in top_similar and top_similar[pk] in canonical_of else [] for pk in ids],
    )
    chars = len(rows) <= CHAR_NGRAMS_LIMIT
    vectorizer = analysis.LexicalVectorizer(chars=chars)
    vectorizer.fit_transform(displays)  # for similar suggestions between re-clusterings; the matrix is not kept
    space = analysis.ThemeSpace(chars=chars)
    vectors = space.fit_transform(displays, _stored_vectors(ids) if len(ids) <= SEMANTIC_THEMES_LIMIT else None)
    report("clustering", 0, len(rows))
    labels, model = analysis.cluster_themes(vectors, units, displays, n_themes=n_themes, copies=groups)
    clustered = labels != analysis.UNCLUSTERED
    skipped = sorted([*skipped, *(pk for pk, ok in zip(ids, clustered.tolist(), strict=True) if not ok)])
    _log_skipped(skipped, len(analysed))
    ids, labels = [pk for pk, ok in zip(ids, clustered.tolist(), strict=True) if ok], labels[clustered]
    clusters: dict[int, list[int]] = {}
    for pk, label in zip(ids, labels.tolist(), strict=True):
        clusters.setdefault(label, []).append(pk)
    old = {}
    for theme_id, pk in ThemeMembership.objects.filter(theme__is_active=True).values_list("theme_id", "suggestion_id"):
        old.setdefault(theme_id, []).append(pk)
    continues = analysis.match_themes(old, clusters)
    report("saving", 0, len(rows))

    def snapshot_of(theme_of_cluster: dict[int, int]) -> tuple[bytes, dict]:
        model.theme_ids = [theme_of_cluster.get(c) for c in range(len(model.labels))]
        return snapshot_format.dumps(vectorizer, space, model)

    version, _ = grouping.write_themes(
        clusters=clusters,
        continues=continues,
        labels=model.labels,
        keywords=model.keywords,
        item_count=len(analysed),
        snapshot_of=snapshot_of,
    )
    ideas = idea_sync.sync_ideas(rows)  # after the themes: each idea is placed in its members' theme
    report("done", len(rows), len(rows))
    return {
        "suggestions": len(analysed),
        "themes": len(clusters),
        "ideas": ideas["ideas"],
        "version": version,
        "unclusterable": len(skipped),
    }


def _log_skipped(skipped: list[int], total: int) -> None:
    if skipped:
        shown = ", ".join(f"#{pk}" for pk in skipped[:20]) + (" ..." if len(skipped) > 20 else "")
        logger.warning(
            "Re-clustering left %s of %s analysed suggestions without a theme, with no words or a vector of zeros "
            "or NaN to cluster: %s",
            len(skipped),
            total,
            shown,
        )


def _stored_vectors(ids: list[int]) -> np.ndarray | None:
    """The e5 vectors of these suggestions in their order, a row of zeros where none is stored yet; None when
    fewer than half have one (the semantic worker is not running, or has only begun catching up)."""
    row_of = {pk: i for i, pk in enumerate(ids)}
    dense = None
    found = 0
    stored = SuggestionEmbedding.objects.filter(state=SuggestionEmbedding.State.STORED)
    for pk, data in stored.values_list("suggestion_id", "vector").iterator(chunk_size=5000):
        if pk not in row_of:
            continue
        vector = semantic.vector_from_bytes(data)
        if not semantic.is_usable(vector):
            continue  # zeros or NaN: the suggestion is placed by its words, as if it had no vector yet
        if dense is None:
            dense = np.zeros((len(ids), len(vector)), dtype=np.float32)
        dense[row_of[pk]] = vector
        found += 1
    return dense if found * 2 >= len(ids) else None


def recluster_is_due() -> bool:
    """No themes yet, the latest snapshot is one this release cannot read, the collection grew by a tenth since
    the last clustering, or that is a day old."""
    latest = ThemeSnapshot.objects.order_by("-version").first()
    analysed = Suggestion.objects.analysed().count()
    if latest is None:
        return analysed >= settings.RECLUSTER_MIN_SUGGESTIONS
    if not latest_snapshot_is_readable():
        return analysed >= 3  # fewer would make no theme, and leave the refused snapshot as the latest
    grown = analysed - latest.item_count
    age = (timezone.now() - latest.created_at).total_seconds()
    return grown >= max(1, latest.item_count // 10) or (grown > 0 and age > 24 * 3600)

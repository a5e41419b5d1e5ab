"""The per-suggestion analysis and the collection-wide re-clustering, on top of `suggestions.analysis`.

Band index: Redis when REDIS_URL is set (shared by every worker, rebuilt from the database when Redis
has lost it); otherwise an in-process index that catches up with the database before every look-up.
"""

import logging
import pickle
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

import numpy as np
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from scipy import sparse

from suggestions import analysis, semantic
from suggestions.analysis.vectors import SEMANTIC_WEIGHT
from suggestions.choices import State
from suggestions.models import (
    DuplicateGroup,
    GroupKind,
    SeparatePair,
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
_lock = threading.Lock()


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


_index = None


def band_index():
    global _index
    with _lock:
        if _index is None:
            if settings.REDIS_URL:
                _index = RedisIndex(settings.REDIS_URL, settings.LSH_REDIS_PREFIX)
            else:
                _index = DatabaseSyncedIndex()
        return _index


def reset_band_index():
    """Forget this process's index (tests, and after the Redis index is cleared)."""
    global _index
    with _lock:
        _index = None


def stored_signatures(pks) -> dict[int, np.ndarray]:
    rows = Suggestion.objects.filter(pk__in=list(pks), signature__isnull=False).values_list("pk", "signature")
    return {pk: analysis.signature_from_bytes(sig) for pk, sig in rows}


# Theme snapshot -----------------------------------------------------------------------------------------


@dataclass
class Snapshot:
    key: tuple  # (version, created_at): identifies one snapshot even where a database is rebuilt, as in tests
    vectorizer: analysis.LexicalVectorizer  # whole texts, for similar suggestions
    space: analysis.ThemeSpace  # what the themes were clustered on, to place a new suggestion
    model: analysis.ThemeModel


class _WholeTextSpace:
    """The theme space of a snapshot written before themes were clustered in a ThemeSpace."""

    mean = None

    def __init__(self, vectorizer: analysis.LexicalVectorizer):
        self.vectorizer = vectorizer

    def transform(self, displays: list[str], dense=None):
        return self.vectorizer.transform(displays)


_snapshot: Snapshot | None = None


def current_snapshot() -> Snapshot | None:
    """The latest re-clustering's vectoriser and centroids, loaded once per process and per version."""
    global _snapshot
    latest = ThemeSnapshot.objects.order_by("-version").values_list("version", "created_at").first()
    if latest is None:
        return None
    if _snapshot is None or _snapshot.key != latest:
        row = ThemeSnapshot.objects.get(version=latest[0])
        saved = pickle.loads(bytes(row.model))  # written only by recluster() below
        vectorizer, space, model = saved if len(saved) == 3 else (saved[0], _WholeTextSpace(saved[0]), saved[1])
        _snapshot = Snapshot(key=latest, vectorizer=vectorizer, space=space, model=model)
    return _snapshot


# Per-suggestion analysis --------------------------------------------------------------------------------


def separated_from(pk: int) -> set[int]:
    pairs = SeparatePair.objects.filter(Q(first_id=pk) | Q(second_id=pk)).values_list("first_id", "second_id")
    return {a if b == pk else b for a, b in pairs}


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
            _join_group(suggestion, Suggestion.objects.get(pk=group_target), signature)
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


def _join_group(suggestion: Suggestion, other: Suggestion, signature) -> None:
    group = group_with(other)
    canonical_sig = stored_signatures([group.canonical_id]).get(group.canonical_id)
    score = analysis.estimated_jaccard(signature, canonical_sig) if canonical_sig is not None else 1.0
    suggestion.duplicate_group = group
    suggestion.duplicate_score = score
    suggestion.save(update_fields=["duplicate_group", "duplicate_score", "updated_at"])
    refresh_group(group)


# Duplicate-group membership: the one place groups are made, left and dissolved, by the analysis and by
# reviewers alike.


def group_with(other: Suggestion) -> DuplicateGroup:
    """The duplicate group `other` belongs to, made with `other` as its canonical member when it has none."""
    group_id = Suggestion.objects.filter(pk=other.pk).values_list("duplicate_group_id", flat=True).first()
    if group_id is not None:
        return DuplicateGroup.objects.get(pk=group_id)
    group = DuplicateGroup.objects.create(
        canonical_id=other.pk, first_seen=other.created_at, last_seen=other.created_at, size=1
    )
    Suggestion.objects.filter(pk=other.pk).update(duplicate_group=group, duplicate_score=1.0)
    other.duplicate_group, other.duplicate_score = group, 1.0
    return group


def leave_group(suggestion: Suggestion) -> DuplicateGroup | None:
    """Take a suggestion out of its duplicate group. A group left with one member is dissolved (None is
    returned); one that lost its canonical member hands that role to its earliest member and is rescored."""
    group_id = Suggestion.objects.filter(pk=suggestion.pk).values_list("duplicate_group_id", flat=True).first()
    now = timezone.now()
    Suggestion.objects.filter(pk=suggestion.pk).update(duplicate_group=None, duplicate_score=None, updated_at=now)
    suggestion.duplicate_group, suggestion.duplicate_score = None, None
    group = DuplicateGroup.objects.filter(pk=group_id).first() if group_id else None
    if group is None:
        return None
    rest = list(
        Suggestion.objects.filter(duplicate_group=group).order_by("created_at", "pk").values_list("pk", flat=True)
    )
    if len(rest) < 2:
        # One suggestion alone is no group: the last member reads as a unique suggestion again.
        Suggestion.objects.filter(pk__in=rest).update(duplicate_group=None, duplicate_score=None, updated_at=now)
        group.delete()
        return None
    if group.canonical_id == suggestion.pk:
        # The earliest remaining member stands in, as the analysis itself would have chosen.
        group.canonical_id = rest[0]
        group.canonical_chosen_by_reviewer = False
        group.save(update_fields=["canonical", "canonical_chosen_by_reviewer"])
        rescore_group(group, rest)
    refresh_group(group)
    group.refresh_from_db()
    return group


def rescore_group(group: DuplicateGroup, member_ids: list[int]) -> None:
    """Each member's score is its estimated similarity to the canonical member, as the analysis wrote it."""
    signatures = stored_signatures(member_ids)
    base = signatures.get(group.canonical_id)
    changed = []
    for pk in member_ids:
        if pk == group.canonical_id:
            score = 1.0
        elif base is not None and pk in signatures:
            score = float(analysis.estimated_jaccard(signatures[pk], base))
        else:
            continue
        changed.append(Suggestion(pk=pk, duplicate_score=score))
    Suggestion.objects.bulk_update(changed, ["duplicate_score"], batch_size=1000)


def refresh_group(group: DuplicateGroup) -> None:
    """Recount a group's size, first and last time seen, lowest score and kind from its members."""
    members = Suggestion.objects.filter(duplicate_group=group)
    figures = members.aggregate(
        size=Count("pk"), first=Min("created_at"), last=Max("created_at"), score=Min("duplicate_score")
    )
    fingerprints = list(members.values_list("fingerprint", flat=True))
    DuplicateGroup.objects.filter(pk=group.pk).update(
        size=figures["size"],
        first_seen=figures["first"] or group.first_seen,
        last_seen=figures["last"] or group.last_seen,
        score=figures["score"] or 1.0,
        kind=GroupKind(analysis.group_kind(fingerprints)),
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
_pools: OrderedDict[tuple, tuple[list[int], object]] = OrderedDict()
POOLS_KEPT = 24


def _pool(snapshot: Snapshot, theme_id: int | None):
    """The vectors of the THEME_POOL most recent analysed members of a theme (of all suggestions: None), kept
    per process and topped up on each look-up with those analysed since: the form's live look-up asks on
    every pause in typing, and a burst of submissions must find each other. One analysed late, with an id
    below the newest already held, joins at the next re-clustering."""
    key = (snapshot.key, theme_id)
    pks, matrix = _pools.get(key, ([], None))
    if key in _pools:
        _pools.move_to_end(key)
    rows = Suggestion.objects.analysed().filter(pk__gt=pks[-1] if pks else 0)
    if theme_id is not None:
        rows = rows.filter(theme_membership__theme_id=theme_id)
    fresh = list(rows.order_by("-pk").values_list("pk", "normalized_text")[:THEME_POOL])[::-1]
    if fresh:
        added = snapshot.vectorizer.transform([text for _, text in fresh])
        pks = [*pks, *(pk for pk, _ in fresh)][-THEME_POOL:]
        matrix = added if matrix is None else sparse.vstack([matrix, added], format="csr")[-THEME_POOL:]
        _pools[key] = (pks, matrix)
        _pools.move_to_end(key)
        while len(_pools) > POOLS_KEPT:
            _pools.popitem(last=False)
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
    point = model._project(vector)
    if not point.any() or not len(model.centroids):
        return None, 0.0  # nothing to place by: a text with no words, or a vector of zeros or NaN
    scores = (point @ model.centroids.T)[0]
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
    ThemeMembership.objects.update_or_create(
        suggestion=suggestion,
        defaults={
            "theme_id": theme_id,
            "score": float(score),
            "source": ThemeMembership.Source.MACHINE,
            "assigned_at": timezone.now(),
        },
    )
    for changed in {theme_id, current[0] if current else None} - {None}:
        recount_theme(changed)


def pin_to_theme(suggestion_ids: list[int], theme: Theme, *, retire_emptied: bool = False) -> dict[int, int]:
    """Place suggestions in a theme as a reviewer's choice, which re-analysis and re-clustering never override,
    and recount the themes they left and joined; with `retire_emptied`, a theme left with no member is retired.
    Runs inside the caller's transaction. Returns the theme each suggestion was in before (none: absent)."""
    previous = dict(
        ThemeMembership.objects.select_for_update()
        .filter(suggestion_id__in=suggestion_ids)
        .values_list("suggestion_id", "theme_id")
    )
    placement = {"theme": theme, "source": ThemeMembership.Source.REVIEWER, "assigned_at": timezone.now(), "score": 1.0}
    ThemeMembership.objects.filter(suggestion_id__in=suggestion_ids).update(**placement)
    ThemeMembership.objects.bulk_create(
        ThemeMembership(suggestion_id=pk, **placement) for pk in suggestion_ids if pk not in previous
    )
    for theme_id in set(previous.values()) - {theme.pk}:
        recount_theme(theme_id, retire_when_empty=retire_emptied)
    recount_theme(theme.pk)
    return previous


def recount_theme(theme_id: int, *, retire_when_empty: bool = False) -> None:
    size = ThemeMembership.objects.filter(theme_id=theme_id).count()
    fields = {"size": size, "updated_at": timezone.now()}
    if retire_when_empty and size == 0:
        fields["is_active"] = False
    Theme.objects.filter(pk=theme_id).update(**fields)


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
    with transaction.atomic():
        version = (ThemeSnapshot.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        pinned = set(
            ThemeMembership.objects.filter(source=ThemeMembership.Source.REVIEWER).values_list(
                "suggestion_id", flat=True
            )
        )
        theme_of_cluster = {}
        for cluster, members in clusters.items():
            if all(pk in pinned for pk in members):
                continue  # reviewers placed every member elsewhere: no machine theme to keep or create
            theme = Theme.objects.filter(pk=continues.get(cluster)).first() or Theme(label=model.labels[cluster])
            if not theme.label_edited:
                theme.label = model.labels[cluster]
            theme.keywords = model.keywords[cluster]
            theme.version = version
            theme.is_active = True
            theme.save()
            theme_of_cluster[cluster] = theme.pk
        kept = set(theme_of_cluster.values())
        still_pinned = set(
            ThemeMembership.objects.filter(source=ThemeMembership.Source.REVIEWER).values_list("theme_id", flat=True)
        )
        Theme.objects.exclude(pk__in=kept | still_pinned).update(is_active=False)
        ThemeMembership.objects.filter(source=ThemeMembership.Source.MACHINE).delete()
        write_machine_memberships(
            ((pk, theme_of_cluster[label]) for pk, label in zip(ids, labels.tolist(), strict=True) if pk not in pinned),
            assigned_at=timezone.now(),
        )
        for theme_id, size in ThemeMembership.objects.values_list("theme_id").annotate(n=Count("pk")):
            Theme.objects.filter(pk=theme_id).update(size=size)
        model.theme_ids = [theme_of_cluster.get(c) for c in range(len(model.labels))]
        ThemeSnapshot.objects.create(
            version=version,
            model=pickle.dumps((vectorizer, space, model), protocol=pickle.HIGHEST_PROTOCOL),
            # Every analysed suggestion, the skipped too: recluster_is_due measures growth against this count.
            item_count=len(analysed),
        )
        ThemeSnapshot.objects.filter(version__lt=version - 2).delete()
    report("done", len(rows), len(rows))
    return {"suggestions": len(analysed), "themes": len(clusters), "version": version, "skipped": len(skipped)}


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


def write_machine_memberships(placements: Iterable[tuple[int, int]], *, assigned_at: datetime) -> None:
    """Insert a machine membership for each (suggestion id, theme id); the caller has deleted the old ones.
    On PostgreSQL with COPY: through bulk_create, saving a re-clustering of a million suggestions took 35 s of
    its 91 s; with COPY, 12 s (benchmarks/recluster_portal.py)."""
    if connection.vendor != "postgresql":
        ThemeMembership.objects.bulk_create(
            (
                ThemeMembership(
                    suggestion_id=pk, theme_id=theme_id, source=ThemeMembership.Source.MACHINE, assigned_at=assigned_at
                )
                for pk, theme_id in placements
            ),
            batch_size=5000,
        )
        return
    machine = ThemeMembership.Source.MACHINE.value
    columns = "suggestion_id, theme_id, score, source, assigned_at"
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {ThemeMembership._meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for pk, theme_id in placements:
            copy.write_row((pk, theme_id, 0.0, machine, assigned_at))


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
    """No themes yet, the collection grew by a tenth since the last clustering, or that is a day old."""
    latest = ThemeSnapshot.objects.order_by("-version").first()
    analysed = Suggestion.objects.analysed().count()
    if latest is None:
        return analysed >= settings.RECLUSTER_MIN_SUGGESTIONS
    grown = analysed - latest.item_count
    age = (timezone.now() - latest.created_at).total_seconds()
    return grown >= max(1, latest.item_count // 10) or (grown > 0 and age > 24 * 3600)

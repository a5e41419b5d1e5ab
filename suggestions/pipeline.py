"""The per-suggestion analysis and the collection-wide re-clustering, on top of `suggestions.analysis`.

Band index: Redis when REDIS_URL is set (shared by every worker, rebuilt from the database when Redis
has lost it); otherwise an in-process index that catches up with the database before every look-up.
"""

import itertools
import logging
from dataclasses import dataclass
from functools import partial

import numpy as np
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models.functions import Length
from django.utils import timezone
from scipy import sparse

from suggestions import analysis, grouping, idea_sync, semantic
from suggestions.analysis import snapshot_format
from suggestions.analysis.engine import (
    Clustering,
    Engine,
    Neighbour,
    centred_cosines,
    lexical_cosines,
    mixed_scores,
    offered_lists,
    rank_similar,
)
from suggestions.analysis.ideas import proposal_key
from suggestions.analysis.minhash import NUM_PERM
from suggestions.caches import process_caches
from suggestions.choices import State
from suggestions.grouping import stored_signatures
from suggestions.models import (
    DuplicateGroup,
    SeparatePair,
    SimilarSuggestion,
    Suggestion,
    SuggestionEmbedding,
    Theme,
    ThemeMembership,
    ThemeSnapshot,
)
from suggestions.similar_lists import one_per_group
from suggestions.sql import locking
from suggestions.sql import marks as _marks
from suggestions.sql import rows as _rows

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
# Up to this many suggestions, a re-clustering searches every similar list again as analyze_file does: a small
# collection's vocabulary moves with each tenth it grows, and lists made one by one in older vocabularies rank
# unlike the file's (paraphrase recall 0.872 against 0.907 on the development set). A large one's vocabulary
# barely moves, and searching again would cost minutes at each re-clustering (analyze_file: 20,000 in 23 s).
LISTS_REMADE_LIMIT = 20_000

_SUGGESTIONS = Suggestion._meta.db_table
_GROUPS = DuplicateGroup._meta.db_table
_PAIRS = SeparatePair._meta.db_table
_THEMES = Theme._meta.db_table
_MEMBERSHIPS = ThemeMembership._meta.db_table
_LISTS = SimilarSuggestion._meta.db_table
_SNAPSHOTS = ThemeSnapshot._meta.db_table


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
        self.add_many([pk], [signature])

    def add_many(self, pks, signatures):
        for pk, signature in zip(pks, signatures, strict=True):
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
            # In id order: a look-up reads the earliest ids under each band key (`RedisBandIndex.MAX_PER_KEY`).
            rows = Suggestion.objects.filter(signature__isnull=False).order_by("pk").values_list("pk", "signature")
            count = analysis.rebuild_index(self.index, rows.iterator(chunk_size=2000))
            self.client.set(self.built_key, timezone.now().isoformat())
            logger.info("Rebuilt the Redis band index from %s stored signatures", count)

    def is_built(self) -> bool:
        return bool(self.client.exists(self.built_key))

    def query(self, signature) -> list[int]:
        """The ids sharing a band with the signature, most shared bands first and the first found first on a tie, as
        `RedisBandIndex.query` lists them."""
        return self.query_many([signature])[0]

    def query_many(self, signatures) -> list[list[int]]:
        """`query` of each signature, in one round trip for all: one script asks whether the index is built and
        reads every band (`RedisBandIndex.joined_bands`); the ids of all bands are parsed at once (a phrasing shared
        by many texts put thousands of ids in one band, and parsing them one by one took 4 ms of each analysis with
        100,000 stored)."""
        joined = self.index.joined_bands(signatures, built_key=self.built_key)
        if any(value is None for value in joined):
            self.ensure_built()
            return self.query_many(signatures)
        return [
            _most_shared_first(np.fromstring(value.decode(), dtype=np.int64, sep=",")) if value else []
            for value in joined
        ]

    def add(self, pk, signature):
        self.index.add(pk, signature)

    def add_many(self, pks, signatures):
        """A batch's signatures, in one round trip."""
        self.index.add_many(pks, signatures)


def _most_shared_first(ids: np.ndarray) -> list[int]:
    """Distinct ids, the most repeated first, ties in the order first met."""
    order = np.argsort(ids, kind="stable")
    ordered = ids[order]
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    counts = np.diff(np.append(starts, len(ordered)))
    return ordered[starts][np.lexsort((order[starts], -counts))].tolist()


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
    # Asked before every analysis: one plain statement, the version and when it was made (its key).
    latest = next(iter(_rows(f"SELECT version, created_at FROM {_SNAPSHOTS} ORDER BY version DESC LIMIT 1", [])), None)
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


class SignatureCache:
    """Stored MinHash signatures by suggestion id, kept per process as the rows of one matrix. A signature is made
    once from a text that never changes, so one kept here is never stale; only those not kept yet are read, in one
    query. Verifying a look-up's candidates (hundreds, where a text shares its phrasing with many) read them all each
    time: most of a worker's time with 100,000 stored; stacking them from one array each took 1 ms of an analysis,
    taking them as rows of the matrix takes a tenth of that. At most LIMIT are kept (100 MB), the oldest quarter
    forgotten when it is full."""

    LIMIT = 200_000

    def __init__(self) -> None:
        self.matrix = np.empty((0, NUM_PERM), dtype=np.uint32)  # its pages are taken as rows are written
        self.row_of: dict[int, int] = {}  # in the order the rows were written, oldest first
        self.loaded = False

    def load(self) -> None:
        """Read the LIMIT most recent stored signatures at once (100,000 in about a second), as a worker's first
        analysis does: its first look-ups would otherwise each read hundreds one query at a time."""
        rows = _rows(
            f"SELECT id, signature FROM {_SUGGESTIONS} WHERE signature IS NOT NULL ORDER BY id DESC LIMIT %s",
            [self.LIMIT],
        )
        for pk, data in reversed(rows):
            if pk not in self.row_of:
                self.keep(pk, analysis.signature_from_bytes(data))
        self.loaded = True

    def matrix_of(self, pks) -> tuple[list[int], np.ndarray]:
        """Those of these suggestions that have a signature, in the order asked, and their signatures as the rows
        of one (n, 128) array, a copy."""
        if not self.loaded:
            self.load()
        pks = list(pks)
        missing = [pk for pk in pks if pk not in self.row_of]
        if missing:
            for pk, data in _rows(
                f"SELECT id, signature FROM {_SUGGESTIONS} WHERE signature IS NOT NULL AND id IN ({_marks(missing)})",
                missing,
            ):
                self.keep(pk, analysis.signature_from_bytes(data))
        known = [pk for pk in pks if pk in self.row_of]
        return known, self.matrix[[self.row_of[pk] for pk in known]]

    def of(self, pks) -> dict[int, np.ndarray]:
        known, rows = self.matrix_of(pks)
        return dict(zip(known, rows, strict=True))

    def keep(self, pk: int, signature: np.ndarray) -> None:
        if pk in self.row_of:
            return
        if len(self.row_of) == len(self.matrix):
            self._make_room()
        row = len(self.row_of)
        self.matrix[row] = signature
        self.row_of[pk] = row

    def _make_room(self) -> None:
        """Double the matrix up to LIMIT rows; once there, forget the oldest quarter."""
        held = len(self.row_of)
        if held < self.LIMIT:
            grown = np.empty((min(self.LIMIT, max(1024, 2 * held)), NUM_PERM), dtype=np.uint32)
            grown[:held] = self.matrix[:held]
            self.matrix = grown
            return
        dropped = self.LIMIT // 4
        self.matrix[: held - dropped] = self.matrix[dropped:held]
        kept = itertools.islice(self.row_of.items(), dropped, None)
        self.row_of = {pk: row - dropped for pk, row in kept}


def signature_cache() -> SignatureCache:
    return process_caches.get_or_make("signatures", SignatureCache)


class StoredIndex:
    """The engine's `Index` over what the portal stores: the band index, the database and the theme pools. Seen
    from one suggestion being analyzed, whose own row and the suggestions a reviewer kept apart from it are
    never proposed. Signatures come from this process's `SignatureCache`; duplicate groups, separations and
    themes, which reviewers change, are read from the database at each look-up."""

    # A batch reads this many of the earliest copies of each of its fingerprints, and this many recent texts more
    # than asked: its texts leave out those they must not meet (their own, those a reviewer kept apart).
    COPIES_READ = 4
    RECENT_SPARE = 16

    def __init__(self, suggestion_id: int | None = None, snapshot: Snapshot | None = None):
        self.excluded = {suggestion_id, *grouping.separated_from(suggestion_id)} if suggestion_id else set()
        self.snapshot = snapshot
        self.pools: dict[int | None, Pool] | None = None  # a batch's pools, topped up at its first look-up only
        self.recent: dict[int, str] | None = None  # a batch's most recent texts, read at its first look-up
        self.candidates: dict[bytes, list[int]] = {}  # a batch's band look-ups, by signature (`prepare`)
        self.copies: dict[str, list[tuple[int, int | None]]] | None = None  # and its fingerprints' earliest copies
        # The earliest copy of the text's fingerprint and its group's canonical member (None: in no group), read
        # together, for `groups_of`.
        self.earliest: tuple[int, int | None] | None = None
        self.theme_sizes: dict[int, int] = {}  # active themes' sizes read with them, for the pool's top-up

    def for_batch(self) -> "StoredIndex":
        """Seen from each text of a batch in turn (`focus`): each theme's pool is topped up at its first look-up
        only, as the batch's own texts are not stored yet (the engine holds them) and those others analyze
        meanwhile are met at the next batch."""
        self.pools = {}
        self.recent = None
        return self

    def prepare(self, results) -> None:
        """A batch's look-ups of its texts' fingerprints (one statement) and bands (one round trip to Redis), made
        together before its first text is analyzed."""
        self.copies = _earliest_copies({result.fingerprint for result in results}, self.COPIES_READ)
        index = band_index()
        if isinstance(index, RedisIndex):
            signatures = [result.signature for result in results]
            found = index.query_many(signatures)
            self.candidates = {s.tobytes(): ids for s, ids in zip(signatures, found, strict=True)}

    def focus(self, excluded: set[int]) -> None:
        """The next look-ups are a batch's next text's, which meets none of `excluded`."""
        self.excluded = excluded
        self.earliest = None

    def earliest_with_fingerprint(self, fingerprint: str) -> int | None:
        """The earliest analyzed suggestion with this fingerprint; its group's canonical member is read with it,
        so that the engine's next question (`groups_of` that suggestion) costs no statement."""
        if self.copies is not None and fingerprint in self.copies:
            copies = self.copies[fingerprint]
            kept = [copy for copy in copies if copy[0] not in self.excluded]
            if kept or len(copies) < self.COPIES_READ:
                self.earliest = kept[0] if kept else None
                return self.earliest[0] if kept else None
        excluded = list(self.excluded) or [0]
        rows = _rows(
            f"SELECT s.id, g.canonical_id FROM {_SUGGESTIONS} s LEFT JOIN {_GROUPS} g ON g.id = s.duplicate_group_id "
            f"WHERE s.fingerprint = %s AND s.state = %s AND s.id NOT IN ({_marks(excluded)}) "
            "ORDER BY s.created_at, s.id LIMIT 1",
            [fingerprint, State.ANALYZED, *excluded],
        )
        if not rows:
            return None
        self.earliest = tuple(rows[0])
        return self.earliest[0]

    def near_duplicates(self, signature, threshold: float = analysis.NEAR_DUPLICATE_THRESHOLD):
        index = band_index()
        if signature.tobytes() in self.candidates:
            index = _Answered(self.candidates[signature.tobytes()])
        return analysis.find_near_duplicates(
            signature, index, signature_matrix=signature_cache().matrix_of, exclude=self.excluded, threshold=threshold
        )

    def groups_of(self, ids) -> dict[int, int]:
        ids = list(ids)
        if not ids:
            return {}
        if self.earliest is not None and ids == [self.earliest[0]]:
            pk, canonical = self.earliest
            return {} if canonical is None else {pk: canonical}
        return dict(
            _rows(
                f"SELECT s.id, g.canonical_id FROM {_SUGGESTIONS} s JOIN {_GROUPS} g ON g.id = s.duplicate_group_id "
                f"WHERE s.id IN ({_marks(ids)})",
                ids,
            )
        )

    def signatures_of(self, ids) -> dict[int, np.ndarray]:
        return signature_cache().of(ids)

    def members_of(self, group: int) -> set[int]:
        rows = _rows(
            f"SELECT s.id FROM {_SUGGESTIONS} s JOIN {_GROUPS} g ON g.id = s.duplicate_group_id "
            "WHERE g.canonical_id = %s",
            [group],
        )
        return {pk for (pk,) in rows}

    def lexical_neighbours(self, vector, *, theme: int | None, limit: int) -> list[Neighbour]:
        if self.pools is None:
            pool = _pool(self.snapshot, theme, size=self.theme_sizes.get(theme))
        else:
            if theme not in self.pools:
                self.pools[theme] = _pool(self.snapshot, theme, size=self.theme_sizes.get(theme))
            pool = self.pools[theme]
        pks, values = pool.cosines(vector)
        if not pks:
            return []
        best = [
            i for i in np.argsort(-values, kind="stable")[: limit + len(self.excluded)] if pks[i] not in self.excluded
        ]
        return [Neighbour(pks[i], float(values[i])) for i in best[:limit] if values[i] > 0]

    def recent_texts(self, limit: int) -> dict[int, str]:
        if self.pools is None:
            return self._recent_texts(limit, self.excluded)
        # A batch reads them once, a few more than asked, and each of its texts leaves out what it must not meet.
        if self.recent is None:
            self.recent = self._recent_texts(limit + self.RECENT_SPARE, set())
        kept = {pk: text for pk, text in self.recent.items() if pk not in self.excluded}
        if len(kept) < limit and len(self.recent) == limit + self.RECENT_SPARE:
            return self._recent_texts(limit, self.excluded)
        return dict(itertools.islice(kept.items(), limit))

    @staticmethod
    def _recent_texts(limit: int, excluded: set[int]) -> dict[int, str]:
        excluded = list(excluded) or [0]
        rows = _rows(
            f"SELECT id, normalized_text FROM {_SUGGESTIONS} WHERE state = %s AND id NOT IN ({_marks(excluded)}) "
            f"ORDER BY id DESC LIMIT {int(limit)}",
            [State.ANALYZED, *excluded],
        )
        return dict(rows)

    def active_themes(self, theme_ids) -> set[int]:
        """The active ones among these themes; their sizes are read with them, for the pool searched next."""
        self.theme_sizes = _active_theme_sizes()
        return set(self.theme_sizes).intersection(theme_ids)


def _earliest_copies(fingerprints: set[str], each: int) -> dict[str, list[tuple[int, int | None]]]:
    """The `each` earliest analyzed suggestions with each of these fingerprints, with their groups' canonical
    members, earliest first; an empty list for a fingerprint none has."""
    copies: dict[str, list[tuple[int, int | None]]] = {fingerprint: [] for fingerprint in fingerprints}
    if not fingerprints:
        return copies
    rows = _rows(
        "SELECT fingerprint, id, canonical_id FROM (SELECT s.fingerprint, s.id, g.canonical_id, ROW_NUMBER() OVER "
        "(PARTITION BY s.fingerprint ORDER BY s.created_at, s.id) AS place "
        f"FROM {_SUGGESTIONS} s LEFT JOIN {_GROUPS} g ON g.id = s.duplicate_group_id "
        f"WHERE s.fingerprint IN ({_marks(fingerprints)}) AND s.state = %s) ranked WHERE place <= %s "
        "ORDER BY fingerprint, place",
        [*fingerprints, State.ANALYZED, each],
    )
    for fingerprint, pk, canonical in rows:
        copies[fingerprint].append((pk, canonical))
    return copies


@dataclass(frozen=True)
class _Answered:
    """A band look-up made already (`StoredIndex.prepare`), given to `find_near_duplicates` as its index."""

    ids: list[int]

    def query(self, signature) -> list[int]:
        return self.ids


def _active_theme_sizes() -> dict[int, int]:
    return dict(_rows(f"SELECT id, size FROM {_THEMES} WHERE is_active", []))


def one_text_at_a_time():
    """scikit-learn without its checks of parameters and of NaN in inputs, for the vectorisations of one text:
    they took half of them (two vectorisations and a theme's scores, 4.7 ms against 2.0 with 100,000 stored),
    and change no figure. The texts' counts hold no NaN; the e5 vectors, which may, are checked where they are
    used (`ThemeModel.project`, `semantic.is_usable`). Thread-local, as scikit-learn's configuration is."""
    import sklearn

    return sklearn.config_context(skip_parameter_validation=True, assume_finite=True)


def analysis_engine(snapshot: Snapshot | None = None) -> Engine:
    """The engine with the latest re-clustering (None before the first one)."""
    snapshot = snapshot or current_snapshot()
    if snapshot is None:
        return Engine(k=SIMILAR_K)
    return Engine(Clustering(snapshot.vectorizer, snapshot.space, snapshot.model), k=SIMILAR_K)


def analyze_suggestion_text(suggestion: Suggestion) -> bool:
    """Ask the engine for the suggestion's forms, duplicate group, similar list and theme, and write them through
    `grouping`, the suggestion marked analyzed, all in one transaction. The caller holds the claim on the suggestion
    (state analyzing); False, with nothing written, when the claim was lost meanwhile (the sweeper gave the
    suggestion to another delivery). A text with nothing left once normalised keeps its forms, joins nothing and
    is listed nowhere (the engine logs it)."""
    snapshot = current_snapshot()
    engine = analysis_engine(snapshot)
    index = StoredIndex(suggestion.pk, snapshot)
    # The engine's reads take no lock and need no transaction: each sees what is committed, as it would inside one.
    with one_text_at_a_time():
        result = engine.analyze_one(f"{suggestion.title}\n{suggestion.body}", index=index)
    with transaction.atomic():
        with grouping.sent_together():  # the transaction's BEGIN goes with its first update
            if not _store_forms(suggestion, result):
                return False
        if result.refused:
            return True
        if result.group is not None:
            # Of the suggestion it joins, grouping reads what it needs under its locks.
            _join_group(suggestion, Suggestion.from_db(connection.alias, ["id"], [result.group]))
        with grouping.sent_together():  # the list's writes go with the placement's first read
            store_similar(suggestion, result.similar)
            theme = place_in_theme(suggestion, result.display, nearest=(result.theme, result.theme_score))
        transaction.on_commit(partial(_analyzed, [(suggestion, result)], snapshot, {suggestion.pk: theme}))
    return True


class ClaimLost(Exception):
    """A suggestion of a batch was no longer analyzing when its results were to be written: nothing was."""


def analyze_suggestion_texts(suggestions: list[Suggestion]) -> None:
    """`analyze_suggestion_text` for suggestions that arrived together (claimed, in id order): each gets what it
    would get analyzed alone after the ones before it, and all of it is written in one transaction. The engine
    analyzes them as one batch (`Engine.analyze_batch`: one vectorisation and one scoring of themes, each theme's
    pool read once); their forms, lists and the band index go in a few statements each. Raises `ClaimLost`, with
    nothing written, when any claim was lost meanwhile."""
    snapshot = current_snapshot()
    engine = analysis_engine(snapshot)
    index = StoredIndex(snapshot=snapshot).for_batch()
    apart = grouping.separated_from_each(s.pk for s in suggestions)
    with one_text_at_a_time():
        results = engine.analyze_batch(
            [(s.pk, f"{s.title}\n{s.body}") for s in suggestions], index=index, focus=lambda pk: {pk, *apart[pk]}
        )
    # A refused text keeps its forms and is marked analyzed, like the others; it joins nothing and is listed nowhere.
    done = [(s, r) for s, r in zip(suggestions, results, strict=True) if not r.refused]
    with transaction.atomic():
        if _claimed_of([s.pk for s in suggestions]) != {s.pk for s in suggestions}:
            raise ClaimLost
        with grouping.sent_together():
            for suggestion, result in zip(suggestions, results, strict=True):
                _write_forms(suggestion, result)
            _delete_lists([s.pk for s in suggestions])
        copies = [
            (suggestion, Suggestion.from_db(connection.alias, ["id"], [result.group]))
            for suggestion, result in done
            if result.group is not None
        ]
        if not grouping.join_new_copies(copies):  # one of them is not a plain newcomer: one at a time
            for suggestion, original in copies:
                _join_group(suggestion, original)
        with grouping.sent_together():
            _create_lists({s.pk: r.similar for s, r in done})
        # Copies follow their canonical member's theme, as `place_in_theme` has them do.
        placed = grouping.place_in_themes([(s.pk, _followed(s), r.theme, r.theme_score) for s, r in done])
        transaction.on_commit(partial(_analyzed, done, snapshot, placed))
        transaction.on_commit(partial(offer_to_lists_of, [(s.pk, r.similar) for s, r in done]))


def _followed(suggestion: Suggestion) -> int | None:
    """The canonical member of the suggestion's duplicate group, whose theme it takes; None for one in no group or
    the canonical member itself."""
    group = suggestion.duplicate_group
    return group.canonical_id if group is not None and group.canonical_id != suggestion.pk else None


def _claimed_of(pks: list[int]) -> set[int]:
    """Those of these suggestions still analyzing, their rows locked to the commit (in id order), so the sweeper
    cannot hand one to another delivery while its results are written."""
    rows = _rows(
        f"SELECT id FROM {_SUGGESTIONS} WHERE id IN ({_marks(pks)}) AND state = %s ORDER BY id{locking()}",
        [*pks, State.ANALYZING],
    )
    return {pk for (pk,) in rows}


def _write_forms(suggestion: Suggestion, result) -> None:
    """A batch's `_store_forms`, whose claims `_claimed_of` checked and locked: no row count is read, so the
    statements go together (`sent_together`)."""
    with connection.cursor() as cursor:
        cursor.execute(_FORMS_UPDATE, _forms_values(suggestion, result)[:-1])


def _analyzed(done: list, snapshot: Snapshot | None, placed: dict[int, int | None]) -> None:
    """Once analyses are committed ((suggestion, result) pairs, and the theme each was placed in): their signatures
    go into the band index (together) and this process's signature cache, and their vectors into the theme pools
    the process keeps."""
    band_index().add_many([s.pk for s, _ in done], [r.signature for _, r in done])
    for suggestion, result in done:
        signature_cache().keep(suggestion.pk, result.signature)
        if snapshot is not None and result.vector is not None:
            _keep_in_pools(snapshot, placed.get(suggestion.pk), suggestion.pk, result.vector)


def _store_forms(suggestion: Suggestion, result) -> bool:
    """Write the forms and mark the suggestion analyzed, in one statement that also checks the claim still holds
    (False: it was lost). Its row lock, held to the commit, keeps the sweeper from handing it to another delivery
    meanwhile: the sweeper's update waits and then finds it analyzed."""
    with connection.cursor() as cursor:
        cursor.execute(f"{_FORMS_UPDATE} AND state = %s RETURNING id", _forms_values(suggestion, result))
        # RETURNING rather than the row count, which `sent_together` leaves unknown until its round trip ends.
        return cursor.fetchone() is not None


# A suggestion's forms written and the suggestion marked analyzed (`_forms_values` gives its values).
_FORMS_UPDATE = (
    f"UPDATE {_SUGGESTIONS} SET normalized_text = %s, match_text = %s, fingerprint = %s, "
    "signature = COALESCE(%s, signature), proposal_key = %s, updated_at = %s, state = %s, analyzed_at = %s, "
    "state_changed_at = %s, last_error = '' WHERE id = %s"
)


def _forms_values(suggestion: Suggestion, result) -> list:
    """Set the forms on the suggestion and return the values of their UPDATE, the claimed state last. A text
    refused by the engine keeps the signature it had (None is written as "unchanged")."""
    suggestion.normalized_text = result.display
    suggestion.match_text = result.match
    suggestion.fingerprint = result.fingerprint or analysis.fingerprint(result.display)
    signature = analysis.signature_to_bytes(result.signature) if result.signature is not None else None
    if signature is not None:
        suggestion.signature = signature
    suggestion.proposal_key = result.proposal
    now = timezone.now()
    suggestion.updated_at = suggestion.analyzed_at = suggestion.state_changed_at = now
    suggestion.state, suggestion.last_error = State.ANALYZED, ""
    moment = connection.ops.adapt_datetimefield_value(now)
    return [
        suggestion.normalized_text,
        suggestion.match_text,
        suggestion.fingerprint,
        signature,
        suggestion.proposal_key,
        moment,
        State.ANALYZED,
        moment,
        moment,
        suggestion.pk,
        State.ANALYZING,
    ]


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


def store_similar(suggestion: Suggestion, similar: list[tuple[int, float]]) -> None:
    """Write a suggestion's list, and once that is committed offer the suggestion to the lists it names."""
    _delete_lists([suggestion.pk])
    _create_lists({suggestion.pk: similar})
    transaction.on_commit(partial(offer_to_lists, suggestion.pk, similar))


def offer_to_lists(suggestion_id: int, similar: list[tuple[int, float]]) -> None:
    """Put a suggestion in the lists of those it names where it ranks among their five, in place of the
    weakest. A list then looks both ways in time: an earlier suggestion also shows the later ones like it, as
    the batch path's lists do. A transaction of its own, after the analysis has committed: the analysis holds
    locks on other suggestions (joining a group) that two workers could otherwise wait for in a circle, and a
    failure here loses an offer, never an analysis."""
    offer_to_lists_of([(suggestion_id, similar)])


def offer_to_lists_of(offers: list[tuple[int, list[tuple[int, float]]]]) -> None:
    """`offer_to_lists` for the suggestions of a batch, in their order, in one transaction: each offer meets the
    lists as the ones before it left them."""
    owners = sorted({pk for _, similar in offers for pk, _ in similar})
    if not owners:
        return
    try:
        with transaction.atomic():
            # One writer per list, locked in id order. FOR NO KEY UPDATE: the foreign-key checks of the rows
            # written here (FOR KEY SHARE on the suggestions they name) never wait for it. The transaction's BEGIN
            # goes with it, and the writes go together (`sent_together`).
            with grouping.sent_together():
                listed = _locked_lists(owners)
            changed: dict[int, list[tuple[int, float]]] = {}
            for suggestion_id, similar in offers:
                present = [(pk, score) for pk, score in similar if pk in listed]
                for owner, ranked in offered_lists(suggestion_id, present, listed, k=SIMILAR_K).items():
                    changed[owner] = ranked
                    listed[owner] = dict(ranked)
            with grouping.sent_together():
                _delete_lists(list(changed))
                _create_lists(changed)
    except DatabaseError as exc:
        logger.warning(
            "Suggestions %s were not offered to similar lists (%s)",
            ", ".join(str(pk) for pk, _ in offers),
            exc.__class__.__name__,
        )


def _locked_lists(owner_ids: list[int]) -> dict[int, dict[int, float]]:
    """The stored lists of these suggestions (other id -> score), their rows locked in id order, in one statement:
    each list's rows are read in the same round trip that takes its lock. A suggestion deleted meanwhile has
    no list to offer to."""
    lock = "FOR NO KEY UPDATE OF s" if connection.vendor == "postgresql" else ""
    listed: dict[int, dict[int, float]] = {}
    rows = _rows(
        # The ids on both sides: with the join alone, statistics a bulk load left stale chose a scan of every
        # list (54 ms at 100,000 suggestions) over the index (0.3 ms).
        f"SELECT s.id, l.other_id, l.score FROM {_SUGGESTIONS} s LEFT JOIN {_LISTS} l "
        f"ON l.suggestion_id = s.id AND l.suggestion_id IN ({_marks(owner_ids)}) "
        f"WHERE s.id IN ({_marks(owner_ids)}) ORDER BY s.id {lock}",
        [*owner_ids, *owner_ids],
    )
    for owner_id, other_id, score in rows:
        listed.setdefault(owner_id, {})
        if other_id is not None:
            listed[owner_id][other_id] = score
    return listed


# Rows of lists one INSERT writes: 4,000 values, under every database's limit on a statement's parameters (SQLite's
# 32,766, PostgreSQL's 65,535). A batch of 256 writes about 1,280 rows, and its offers more: plain statements, where
# bulk_create's model instances took 22-71 ms for 1,280 rows.
INSERT_ROWS = 1000


def _create_lists(lists: dict[int, list[tuple[int, float]]]) -> None:
    rows = [
        (owner_id, other_id, score, rank)
        for owner_id, ranked in lists.items()
        for rank, (other_id, score) in enumerate(ranked)
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_ROWS):
            chunk = rows[start : start + INSERT_ROWS]
            cursor.execute(
                f"INSERT INTO {_LISTS} (suggestion_id, other_id, score, rank) VALUES "
                + ", ".join(["(%s, %s, %s, %s)"] * len(chunk)),
                [value for row in chunk for value in row],
            )


def _delete_lists(owner_ids: list[int]) -> None:
    if owner_ids:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {_LISTS} WHERE suggestion_id IN ({_marks(owner_ids)})", owner_ids)


def similar_with_meaning(suggestion: Suggestion, vector: np.ndarray) -> list[tuple[int, float]]:
    """The similar list re-ranked with the suggestion's e5 neighbours, scored as the batch path scores them:
    the mean of the lexical and centred e5 cosines, or the estimated word overlap of a near-copy when higher.
    A paraphrase in other words, which shares few words and may sit in another theme, is found this way."""
    index = semantic.vector_index()
    listed = dict(SimilarSuggestion.objects.filter(suggestion=suggestion).values_list("other_id", "score"))
    own_group = _own_group(suggestion)
    found = dict(index.nearest(vector, k=SEMANTIC_CANDIDATES, exclude={suggestion.pk, *own_group}))
    meaning = {**index.cosines(vector, listed), **found}
    snapshot = current_snapshot()
    if snapshot is not None and snapshot.space.mean is not None:
        # Less what every suggestion shares in meaning (the latest re-clustering's mean), as the batch lists score.
        mean = snapshot.space.mean
        meaning = centred_cosines(meaning, own=float(vector @ mean), to_mean=index.cosines(mean, meaning), mean=mean)
    # The matrix may still hold a suggestion deleted since; only analyzed ones are listed.
    texts = dict(Suggestion.objects.analyzed().filter(pk__in={*listed, *found}).values_list("pk", "normalized_text"))
    words = _lexical_cosines(suggestion.normalized_text, texts)
    fallback = {pk: score for pk, score in listed.items() if pk in texts}
    scores = mixed_scores(words, meaning, _overlaps(suggestion, texts), fallback=fallback)
    scores = {pk: score for pk, score in scores.items() if pk in texts}
    # Up to five other suggestions outside the suggestion's own group, best first.
    return rank_similar(scores, excluded={*own_group, suggestion.pk}, k=SIMILAR_K)


def _overlaps(suggestion: Suggestion, others) -> dict[int, float]:
    if not suggestion.signature:
        return {}
    own = analysis.signature_from_bytes(suggestion.signature)
    return {pk: float(analysis.estimated_jaccard(own, other)) for pk, other in stored_signatures(others).items()}


def _lexical_cosines(display: str, texts: dict[int, str]) -> dict[int, float]:
    """Cosines of the word TF-IDF (``list_vectorizer``) weighed across these texts alone. Scores made this way are on
    one scale whenever a list is made; the latest re-clustering's vocabulary, fitted on whatever the collection
    held then, put lists made before and after it on different ones (paraphrase recall 0.92 against 0.95 on
    the development set with re-clustering every ten suggestions)."""
    if not texts:
        return {}
    pks = list(texts)
    vectorizer = analysis.list_vectorizer()
    matrix = vectorizer.fit_transform([texts[pk] for pk in pks])
    cosines = (matrix @ vectorizer.transform([display]).T).toarray().ravel()
    return {pk: float(cosine) for pk, cosine in zip(pks, cosines, strict=True)}


def lexical_neighbours(display: str, *, exclude=(), limit: int = SIMILAR_K) -> list[tuple[int, float]]:
    """The suggestions most like a text by their words, as the engine finds them for a similar list: among the
    most recent members of its nearest theme, or of a small collection, or of the most recent suggestions before
    the first re-clustering."""
    snapshot = current_snapshot()
    engine = analysis_engine(snapshot)
    index = StoredIndex(snapshot=snapshot)
    index.excluded = set(exclude)
    if snapshot is None:
        cosines = lexical_cosines(display, index.recent_texts(engine.UNCLUSTERED_POOL))
        return rank_similar(cosines, k=limit)
    theme = None
    if sum(snapshot.model.sizes) > engine.WHOLE_POOL:
        theme, _ = engine.nearest_theme(display, index=index)
        if theme is None:
            return []
    return [(n.id, n.score) for n in index.lexical_neighbours(engine.vectorize([display]), theme=theme, limit=limit)]


# A pool of 2,000 suggestions holds about 9 MB of vectors: a process keeps the pools it used last, not one for
# every theme it ever searched (256 of them held 2.3 GB).
POOLS_KEPT = 24


class Pool:
    """The lexical vectors of the THEME_POOL most recent analyzed members of a theme (of all suggestions: theme
    None), in the order they were analyzed. Rows arrive in blocks, joined into one matrix only every BLOCKS
    arrivals: joining the whole 2,000-row matrix with the one row each analysis adds copied about 10 MB a time."""

    BLOCKS = 16

    def __init__(self) -> None:
        self.pks: list[int] = []
        self.blocks: list[sparse.csr_matrix] = []
        self.theme_size: int | None = None  # the theme's size when the pool last caught up with it

    @property
    def newest(self) -> int:
        return self.pks[-1] if self.pks else 0

    def add(self, pks: list[int], rows: sparse.csr_matrix) -> None:
        self.pks.extend(pks)
        self.blocks.append(rows)
        if len(self.blocks) > self.BLOCKS:
            self.blocks = [sparse.vstack(self.blocks, format="csr")[-THEME_POOL:]]
            self.pks = self.pks[-THEME_POOL:]

    def cosines(self, vector) -> tuple[list[int], np.ndarray]:
        """The THEME_POOL most recent members and their cosines with one vector."""
        if not self.pks:
            return [], np.zeros(0)
        # Against a dense copy of the one vector: a sparse-by-sparse product over 2,000 rows took 5 ms.
        dense = np.asarray(vector.todense(), dtype=np.float32).ravel()
        values = np.concatenate([block @ dense for block in self.blocks])
        return self.pks[-THEME_POOL:], values[-THEME_POOL:]


def _pool(snapshot: Snapshot, theme_id: int | None, *, size: int | None = None) -> Pool:
    """The pool of a theme (of all suggestions: None), kept per process and per snapshot, and topped up on each
    look-up with those analyzed since: the form's live look-up asks on every pause in typing, and a burst of
    submissions must find each other. A theme whose size moved by other than what was topped up had members
    moved in or out (a reviewer's merge, move or split, a placement by meaning) or placed late: its pool catches up
    with the theme's members as they are (`_catch_up`). `size` is the theme's size when the caller read it just
    before (with the active themes); otherwise it is read here."""
    key = (snapshot.key, theme_id)
    pools = process_caches.pools
    pool = pools.get(key) or Pool()
    pools[key] = pool
    pools.move_to_end(key)
    while len(pools) > POOLS_KEPT:
        pools.popitem(last=False)
    if theme_id is None:
        fresh = _pool_rows(None, pool.newest)
    else:
        if size is None:
            size = next(iter(_rows(f"SELECT size FROM {_THEMES} WHERE id = %s", [theme_id])), (0,))[0]
        fresh = _pool_rows(theme_id, pool.newest)
        if pool.theme_size is not None and size != pool.theme_size + len(fresh):
            _catch_up(pool, snapshot, theme_id)
            fresh = []
        pool.theme_size = size
    if fresh:
        pool.add([pk for pk, _ in fresh], snapshot.vectorizer.transform([text for _, text in fresh]))
    return pool


def make_theme_pools() -> int:
    """Make the pools of the largest active themes (as many as are kept) of the snapshot this process holds, once
    per snapshot, ahead of their first look-up: a first look-up in a theme reads and vectorises its 2,000 most
    recent members, 120-230 ms of the analysis that meets it with 100,000 stored. A worker calls this after an
    analysis has committed, so no analysis waits for it; the first after a start or a re-clustering makes them.
    Returns how many pools were made."""
    snapshot = process_caches.snapshot
    if snapshot is None or process_caches.pools_made_for == snapshot.key:
        return 0
    process_caches.pools_made_for = snapshot.key
    if sum(snapshot.model.sizes) <= Engine.WHOLE_POOL:
        return 0  # a small collection is searched whole, in one pool that each analysis tops up
    sizes = _active_theme_sizes()
    themes = sorted((pk for pk in snapshot.model.theme_ids if pk in sizes), key=lambda pk: -sizes[pk])
    with one_text_at_a_time():
        for theme_id in themes[:POOLS_KEPT]:
            _pool(snapshot, theme_id, size=sizes[theme_id])
    return len(themes[:POOLS_KEPT])


def _catch_up(pool: Pool, snapshot: Snapshot, theme_id: int) -> None:
    """Make a pool hold the theme's THEME_POOL most recent members as they are now: the ids are read, the vectors
    the pool holds are kept and only the members it lacks are read and vectorised (a placement by meaning moves
    one suggestion; vectorising 2,000 again for it took a few hundred milliseconds)."""
    ids = _rows(
        f"SELECT s.id FROM {_SUGGESTIONS} s JOIN {_MEMBERSHIPS} m ON m.suggestion_id = s.id "
        f"WHERE m.theme_id = %s AND s.state = %s ORDER BY s.id DESC LIMIT {THEME_POOL}",
        [theme_id, State.ANALYZED],
    )
    ids = [pk for (pk,) in reversed(ids)]
    position = {pk: row for row, pk in enumerate(pool.pks)}
    blocks = list(pool.blocks)
    lacking = [pk for pk in ids if pk not in position]
    if lacking:
        texts = dict(_rows(f"SELECT id, normalized_text FROM {_SUGGESTIONS} WHERE id IN ({_marks(lacking)})", lacking))
        lacking = [pk for pk in lacking if pk in texts]
        position.update((pk, len(pool.pks) + n) for n, pk in enumerate(lacking))
        blocks.append(snapshot.vectorizer.transform([texts[pk] for pk in lacking]))
    ids = [pk for pk in ids if pk in position]
    matrix = sparse.vstack(blocks, format="csr") if ids else None
    pool.pks = ids
    pool.blocks = [matrix[[position[pk] for pk in ids]]] if ids else []


def _pool_rows(theme_id: int | None, after: int) -> list[tuple[int, str]]:
    """(id, display text) of the THEME_POOL most recent analyzed members of a theme (of all: None) above an id."""
    if theme_id is None:
        sql = f"SELECT s.id, s.normalized_text FROM {_SUGGESTIONS} s WHERE s.state = %s AND s.id > %s"
        params = [State.ANALYZED, after]
    else:
        sql = (
            f"SELECT s.id, s.normalized_text FROM {_SUGGESTIONS} s JOIN {_MEMBERSHIPS} m ON m.suggestion_id = s.id "
            "WHERE m.theme_id = %s AND s.state = %s AND s.id > %s"
        )
        params = [theme_id, State.ANALYZED, after]
    return _rows(f"{sql} ORDER BY s.id DESC LIMIT {THEME_POOL}", params)[::-1]


def _keep_in_pools(snapshot: Snapshot, theme_id: int | None, pk: int, vector) -> None:
    """A suggestion this process has just analyzed joins the pools it belongs to that the process keeps, with the
    vector its own similar search made, so the next look-up neither reads nor vectorises it again."""
    for key in ((snapshot.key, None), (snapshot.key, theme_id) if theme_id is not None else None):
        pool = process_caches.pools.get(key) if key else None
        if pool is not None and pool.newest < pk:
            pool.add([pk], vector)
            if key[1] is not None and pool.theme_size is not None:
                pool.theme_size += 1  # this placement's, so the next look-up finds the theme as it left it


def nearest_theme(display: str, dense: np.ndarray | None = None) -> tuple[int | None, float]:
    """The active theme nearest to a text (and its e5 vector, when given) in the latest re-clustering's space;
    (None, 0.0) before the first one."""
    snapshot = current_snapshot()
    if snapshot is None:
        return None, 0.0
    return analysis_engine(snapshot).nearest_theme(display, dense, index=StoredIndex(snapshot=snapshot))


def place_in_theme(
    suggestion: Suggestion, display: str, vector: np.ndarray | None = None, *, nearest: tuple | None = None
) -> int | None:
    """Put a suggestion in its nearest theme between re-clusterings: by its words when it is analyzed
    (`nearest`, when the caller has asked already), and again by words and meaning once its e5 vector is made
    (`vector`), when the themes were clustered with e5 vectors. Copies follow their canonical member; a
    reviewer's placement is never overridden (`grouping.place_in_theme` checks, under its lock). Returns the theme
    it was placed in here (None: not placed, or left where it was)."""
    current = None
    if vector is not None:
        # Placing by meaning costs a look-up: a suggestion a reviewer placed is not looked up at all.
        current = ThemeMembership.objects.filter(suggestion=suggestion).values_list("theme_id", "source").first()
        if current is not None and current[1] == ThemeMembership.Source.REVIEWER:
            return None
    theme_id, score = None, 0.0
    followed = _followed(suggestion)
    if followed is not None:
        canonical_theme = _rows(f"SELECT theme_id, score FROM {_MEMBERSHIPS} WHERE suggestion_id = %s", [followed])
        if canonical_theme:
            theme_id, score = canonical_theme[0]
    if theme_id is None:
        if vector is None:
            theme_id, score = nearest or nearest_theme(display)
        else:
            snapshot = current_snapshot()
            if snapshot is None or snapshot.space.mean is None:
                return None  # themes clustered on words alone: the placement by words stands
            theme_id, score = nearest_theme(display, np.atleast_2d(vector))
        if theme_id is None:
            return None
    if current is not None and current[0] == theme_id:
        return None
    placed = grouping.place_in_theme(suggestion=suggestion, theme_id=theme_id, score=score)
    return theme_id if placed else None


# Below this a text shown under the form is as often about another subject as about the typed one: on the
# development set, scored on words alone, 0.2 kept 71 % of entries in the typed text's theme, 0.3 keeps 92 % and
# still finds the typed text's own idea for 96 of the 104 texts whose idea is shown at all, as with the mixed
# score before (`benchmarks/hint_relevance.py`).
LIVE_MIN_SCORE = 0.3


def similar_to_text(text: str) -> list[Suggestion]:
    """For a text being typed: up to five analyzed suggestions like it, near-duplicates first, one per duplicate
    group (several times as many candidates are looked up, so that copies of one text leave room for others)."""
    display = analysis.display_form(text)
    signature = analysis.signature(display)
    candidates = SIMILAR_CANDIDATES * SIMILAR_K
    index = band_index()
    near = []
    if isinstance(index, RedisIndex) and not index.is_built():
        # Redis lost the index: the next analysis rebuilds it (minutes for a million signatures), and a look-up
        # while a citizen types must not wait for that; words alone find the similar ones meanwhile.
        logger.info("The Redis band index is being rebuilt: the live look-up lists similar texts by words alone")
    else:
        near = analysis.find_near_duplicates(signature, index, signatures_of=stored_signatures, threshold=0.3)
    scores = {int(d.id): float(d.score) for d in near[:candidates]}
    for pk, score in lexical_neighbours(display, limit=candidates):
        scores[pk] = max(scores.get(pk, 0.0), score)
    ranked = [pk for pk, score in sorted(scores.items(), key=lambda item: -item[1]) if score >= LIVE_MIN_SCORE]
    found = Suggestion.objects.select_related("duplicate_group").in_bulk(ranked)
    shown = [found[pk] for pk in ranked if pk in found and found[pk].state == State.ANALYZED]
    return one_per_group(shown)[:SIMILAR_K]


# Re-clustering ------------------------------------------------------------------------------------------


def recluster(*, n_themes: int | None = None, progress=None) -> dict:
    """Cluster every analyzed suggestion into themes. New clusters continue the old themes they overlap,
    reviewer labels and reviewer placements are kept, and a new snapshot places later suggestions."""
    report = progress or (lambda stage, done, total: None)
    stored = (
        Suggestion.objects.analyzed()
        .order_by("pk")
        .annotate(match_length=Length("match_text"))
        .values_list("pk", "normalized_text", "duplicate_group__canonical_id", "match_length", "proposal_key")
    )
    analyzed, has_words, stored_proposals = [], [], []
    for pk, text, canonical, match_length, proposal in stored:
        analyzed.append((pk, text, canonical))
        stored_proposals.append(proposal)
        # A text with nothing left once normalised (one stored before the form refused it) has no words to
        # cluster. Its stored match form says so; only where none is stored is it made again (100,000: 1.5 s).
        has_words.append(bool(match_length) or bool(analysis.match_form(text or "")))
    rows = [row for row, ok in zip(analyzed, has_words, strict=True) if ok]
    skipped = [row[0] for row, ok in zip(analyzed, has_words, strict=True) if not ok]
    if len(rows) < 3:
        _log_skipped(skipped, len(analyzed))
        return {"suggestions": len(analyzed), "themes": 0}
    report("vectorising", 0, len(rows))
    ids = [pk for pk, _, _ in rows]
    displays = [text for _, text, _ in rows]
    groups = [canonical or pk for pk, _, canonical in rows]
    # Made when each was analyzed; only a text analyzed before the key was stored has it made here.
    proposals = [
        proposal_key(text) if proposal is None else proposal
        for (_, text, _), proposal, ok in zip(analyzed, stored_proposals, has_words, strict=True)
        if ok
    ]
    del stored_proposals
    dense = _stored_vectors(ids) if len(ids) <= SEMANTIC_THEMES_LIMIT else None
    chars = len(rows) <= CHAR_NGRAMS_LIMIT
    engine = Engine(k=SIMILAR_K)
    if len(rows) <= LISTS_REMADE_LIMIT:
        # The engine's collection step, as analyze_file runs it: every similar list is searched again in the
        # vocabulary of the whole collection, so lists made one by one in older vocabularies meet the file's.
        report("similar", 0, len(rows))
        collection = engine.analyze_collection(
            ids,
            displays,
            groups,
            _stored_signature_matrix(ids),
            dense,
            n_themes=n_themes,
            chars=chars,
            proposals=proposals,
            separate=idea_sync.separated_pairs(),
        )
        report("clustering", 0, len(rows))
        labels, clustering = collection.themes, collection.clustering
        idea_keys = collection.ideas  # the engine's ideas, one per row, as analyze_file writes them
        _replace_lists(ids, collection.similar)
    else:
        # The ideas first, from the stored lists, and the themes clustered over them: no idea straddles two themes.
        idea_keys = idea_sync.stored_idea_keys(ids, groups, proposals)
        report("clustering", 0, len(rows))
        labels, _, clustering = engine.cluster(
            ids, displays, groups, dense, ideas=idea_keys, n_themes=n_themes, chars=chars
        )
    vectorizer, space, model = clustering.vectorizer, clustering.space, clustering.model
    clustered = labels != analysis.UNCLUSTERED
    skipped = sorted([*skipped, *(pk for pk, ok in zip(ids, clustered.tolist(), strict=True) if not ok)])
    _log_skipped(skipped, len(analyzed))
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
        item_count=len(analyzed),
        snapshot_of=snapshot_of,
    )
    ideas = idea_sync.sync_ideas(rows, keys=idea_keys)  # after the themes: each idea lies in its members' theme
    report("done", len(rows), len(rows))
    return {
        "suggestions": len(analyzed),
        "themes": len(clusters),
        "ideas": ideas["ideas"],
        "version": version,
        "unclusterable": len(skipped),
    }


def _stored_signature_matrix(ids: list[int]) -> np.ndarray:
    """The stored MinHash signatures of these suggestions in their order (one row each)."""
    matrix = np.full((len(ids), NUM_PERM), np.iinfo(np.uint32).max, dtype=np.uint32)  # as an empty text's
    row_of = {pk: i for i, pk in enumerate(ids)}
    rows = Suggestion.objects.filter(signature__isnull=False).values_list("pk", "signature")
    for pk, data in rows.iterator(chunk_size=5000):
        if pk in row_of:
            matrix[row_of[pk]] = analysis.signature_from_bytes(data)
    return matrix


def _replace_lists(ids: list[int], similar: list[list[list]]) -> None:
    """The similar lists of these suggestions, as the collection step found them, in place of the stored ones."""
    with transaction.atomic():
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            SimilarSuggestion.objects.filter(suggestion_id__in=chunk).delete()
            _create_lists(
                {
                    pk: [(other, score) for other, score in lists]
                    for pk, lists in zip(chunk, similar[start : start + 5000], strict=True)
                }
            )


def _log_skipped(skipped: list[int], total: int) -> None:
    if skipped:
        shown = ", ".join(f"#{pk}" for pk in skipped[:20]) + (" ..." if len(skipped) > 20 else "")
        logger.warning(
            "Re-clustering left %s of %s analyzed suggestions without a theme, with no words or a vector of zeros "
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
    analyzed = Suggestion.objects.analyzed().count()
    if latest is None:
        return analyzed >= settings.RECLUSTER_MIN_SUGGESTIONS
    if not latest_snapshot_is_readable():
        return analyzed >= 3  # fewer would make no theme, and leave the refused snapshot as the latest
    grown = analyzed - latest.item_count
    age = (timezone.now() - latest.created_at).total_seconds()
    return grown >= max(1, latest.item_count // 10) or (grown > 0 and age > 24 * 3600)

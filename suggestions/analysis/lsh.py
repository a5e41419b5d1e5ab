"""Compact LSH band indexes over MinHash signatures: in memory (numpy) and in Redis.

A signature is cut into BANDS bands of ROWS values; two texts become candidates when
any band is equal.  With 42 bands of 3, a pair at Jaccard 0.5 is found 99.6% of the
time and a pair at 0.2 about 28%: candidates are then verified, see ``duplicates``.
Each band is kept as one 64-bit key, never as the values themselves.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping

import numpy as np

from .minhash import NUM_PERM, signature_from_bytes

__all__ = ["BANDS", "ROWS", "FrozenBandIndex", "MemoryBandIndex", "RedisBandIndex", "band_keys", "rebuild_index"]

BANDS = 42
ROWS = 3
_rng = np.random.default_rng(7_654_321)
_BAND_MULT = _rng.integers(1, 2**63, size=(ROWS,), dtype=np.uint64) | np.uint64(1)
_BAND_SALT = _rng.integers(0, 2**63, size=(BANDS,), dtype=np.uint64)


def distinct(values: np.ndarray, *, counts: bool = False):
    """Sorted distinct values (and how often each occurs), by sorting.

    numpy 2.5's ``np.unique`` hashes integer arrays and measured 50 times slower than a sort
    on the million-element arrays of band hits and pairs seen here.  The stable sort (radix or merge) takes
    advantage of the ascending runs such arrays are made of (each band key's rows): 1.8 million band hits
    of a batch sorted in 0.034 s against quicksort's 0.098 s.
    """
    ordered = np.sort(values, kind="stable")
    if not len(ordered):
        return (ordered, np.empty(0, dtype=np.int64)) if counts else ordered
    first = np.concatenate([[True], ordered[1:] != ordered[:-1]])
    if not counts:
        return ordered[first]
    starts = np.flatnonzero(first)
    return ordered[starts], np.diff(np.append(starts, len(ordered)))


def band_keys(signatures: np.ndarray) -> np.ndarray:
    """64-bit band keys, shape (n, BANDS), for one signature or a stack of them."""
    sigs = np.atleast_2d(np.asarray(signatures, dtype=np.uint32))[:, : BANDS * ROWS].astype(np.uint64)
    bands = sigs.reshape(len(sigs), BANDS, ROWS)
    with np.errstate(over="ignore"):
        keys = (bands * _BAND_MULT).sum(axis=2) ^ _BAND_SALT
        keys ^= keys >> np.uint64(31)
        keys *= np.uint64(0x94D049BB133111EB)
        keys ^= keys >> np.uint64(29)
    return keys


class MemoryBandIndex:
    """All band keys in one sorted uint64 array (plus a small unsorted tail of recent inserts).

    About 8 bytes per band key, 4 per row number and 640 per signature (its values and their low bytes):
    roughly 1.1 GB for a million suggestions, against several GB for datasketch's dict-based LSH.  Single inserts
    go to a small dict tail, merged into the sorted arrays when it reaches PENDING_LIMIT keys;
    a batch of at least BULK_MIN items is sorted on its own and inserted into them.  A merge
    never re-sorts everything (whose argsort and concatenated copies made the build peak), it
    only briefly holds the old and the new key and row arrays.
    """

    PENDING_LIMIT = 200_000
    BULK_MIN = 256
    # Above this many distinct candidates a look-up verifies only those sharing the most bands (a pair
    # at the merge threshold shares about 7 of 42, a chance candidate one or two): a template sent
    # thousands of times would otherwise make every look-up verify and return all its copies.
    MAX_VERIFIED = 500
    # For the same reason a look-up reads at most this many items under any one band key (the earliest,
    # where a group's first member is): at 500 a batch of 2,048 campaign copies read 43 million band hits
    # (1.4 GB at 200,000 texts); at 32 a copy still reads up to 42 x 32 candidates, ample for its group.
    MAX_PER_KEY = 32

    def __init__(self) -> None:
        self._keys = np.empty(0, dtype=np.uint64)
        self._rows = np.empty(0, dtype=np.uint32)
        self._pending: dict[int, list[int]] = {}
        self._pending_count = 0
        self._sigs = np.empty((1024, NUM_PERM), dtype=np.uint32)
        self._low = np.empty((1024, NUM_PERM), dtype=np.uint8)  # each value's low byte: see _agreement
        self._alive = np.zeros(1024, dtype=bool)
        self._ids: list[Hashable] = []
        self._row_of: dict[Hashable, int] = {}
        self.verified = 0  # candidate pairs verified so far: what a look-up's cost grows with

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, item_id: Hashable) -> bool:
        return item_id in self._row_of

    @property
    def nbytes(self) -> int:
        """Bytes held by the numpy arrays (keys, rows and signatures)."""
        return self._keys.nbytes + self._rows.nbytes + len(self._ids) * NUM_PERM * 5 + self._pending_count * 16

    def add(self, item_id: Hashable, signature: np.ndarray) -> None:
        self.add_many([item_id], np.asarray(signature)[None, :])

    def add_many(self, item_ids: Iterable[Hashable], signatures: np.ndarray) -> None:
        item_ids = list(item_ids)
        signatures = np.atleast_2d(np.asarray(signatures, dtype=np.uint32))
        seen: set[Hashable] = set()
        fresh = []
        for i, item_id in enumerate(item_ids):
            if item_id not in self._row_of and item_id not in seen:
                seen.add(item_id)
                fresh.append(i)
        if not fresh:
            return
        first = len(self._ids)
        needed = first + len(fresh)
        if needed > len(self._sigs):
            capacity = max(needed, 2 * len(self._sigs))
            grown = np.empty((capacity, NUM_PERM), dtype=np.uint32)
            grown[:first] = self._sigs[:first]
            self._sigs = grown
            low = np.empty((capacity, NUM_PERM), dtype=np.uint8)
            low[:first] = self._low[:first]
            self._low = low
            alive = np.zeros(capacity, dtype=bool)
            alive[:first] = self._alive[:first]
            self._alive = alive
        self._sigs[first:needed] = signatures[fresh]
        self._low[first:needed] = signatures[fresh].astype(np.uint8)
        self._alive[first:needed] = True
        for offset, i in enumerate(fresh):
            self._ids.append(item_ids[i])
            self._row_of[item_ids[i]] = first + offset
        keys = band_keys(signatures[fresh])
        rows = np.repeat(np.arange(first, needed, dtype=np.uint32), BANDS)
        if len(fresh) >= self.BULK_MIN:
            self._merge_sorted(keys.ravel(), rows)
            return
        for key, row in zip(keys.ravel().tolist(), rows.tolist(), strict=True):
            self._pending.setdefault(key, []).append(row)
        self._pending_count += keys.size
        if self._pending_count >= self.PENDING_LIMIT:
            self._merge_pending()

    def _merge_sorted(self, keys: np.ndarray, rows: np.ndarray) -> None:
        """Insert (key, row) pairs into the sorted arrays: one new array each, no full re-sort."""
        order = np.argsort(keys, kind="stable")
        keys, rows = keys[order], rows[order]
        if not len(self._keys):
            self._keys, self._rows = keys, rows
            return
        at = np.searchsorted(self._keys, keys, side="right")
        self._keys = np.insert(self._keys, at, keys)
        self._rows = np.insert(self._rows, at, rows)

    def _merge_pending(self) -> None:
        if not self._pending_count:
            return
        keys = np.fromiter(
            (k for k, rows in self._pending.items() for _ in rows), dtype=np.uint64, count=self._pending_count
        )
        rows = np.fromiter(
            (r for rows in self._pending.values() for r in rows), dtype=np.uint32, count=self._pending_count
        )
        self._pending = {}
        self._pending_count = 0
        self._merge_sorted(keys, rows)

    def remove(self, item_id: Hashable) -> None:
        # Rows stay in the arrays until the index is rebuilt; queries skip them.
        row = self._row_of.pop(item_id, None)
        if row is not None:
            self._alive[row] = False

    def query(self, signature: np.ndarray) -> list[Hashable]:
        """Candidate ids sharing at least one band, most shared bands first."""
        return [item_id for item_id, _ in self.query_counts(signature)]

    def _hits(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(query number, row) of every stored band key equal to one of ``keys`` (shape (n, BANDS))."""
        flat = keys.ravel()
        queries, rows = [], []
        if len(self._keys):
            lo = np.searchsorted(self._keys, flat, side="left")
            hi = np.searchsorted(self._keys, flat, side="right")
            counts = np.minimum(hi - lo, self.MAX_PER_KEY)
            total = int(counts.sum())
            if total:
                # Every position lo..hi-1 of every key, without a Python loop over the keys.
                starts = np.repeat(lo - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
                positions = starts + np.arange(total)
                queries.append(np.repeat(np.arange(len(flat)) // BANDS, counts))
                rows.append(self._rows[positions])
        if self._pending:
            pending_queries: list[int] = []
            pending_rows: list[int] = []
            get = self._pending.get
            for i, key in enumerate(flat.tolist()):
                found = get(key)
                if found:
                    found = found[: self.MAX_PER_KEY]
                    pending_rows += found
                    pending_queries += [i // BANDS] * len(found)
            if pending_rows:
                queries.append(np.array(pending_queries, dtype=np.int64))
                rows.append(np.array(pending_rows, dtype=np.uint32))
        if not rows:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.uint32)
        return np.concatenate(queries).astype(np.int64), np.concatenate(rows)

    def candidate_rows(self, signature: np.ndarray) -> np.ndarray:
        """Internal rows of every item sharing at least one band (unordered, may repeat, may be removed)."""
        return self._hits(band_keys(signature))[1]

    def near(self, signature: np.ndarray, threshold: float, exclude=()) -> list[tuple[Hashable, float]]:
        """(id, estimated Jaccard) of candidates at or above ``threshold``: query and verify in numpy."""
        hits = self.candidate_rows(signature)
        if not len(hits):
            return []
        rows, counts = distinct(hits, counts=True)
        live = self._alive[rows]
        rows, counts = rows[live], counts[live]
        if len(rows) > self.MAX_VERIFIED:
            rows = rows[np.argsort(-counts, kind="stable")[: self.MAX_VERIFIED]]
        if not len(rows):
            return []
        self.verified += len(rows)
        scores = np.count_nonzero(self._sigs[rows] == signature, axis=1) / NUM_PERM
        keep = scores >= threshold
        return [
            (self._ids[r], s)
            for r, s in zip(rows[keep].tolist(), scores[keep].tolist(), strict=True)
            if self._ids[r] not in exclude
        ]

    def near_pairs(
        self, signatures: np.ndarray, threshold: float, *, ids: list[Hashable] | None = None
    ) -> tuple[np.ndarray, list[Hashable], np.ndarray]:
        """For a batch of signatures: (query number, id, estimated Jaccard) of indexed items at or above it.

        With ``ids`` (the batch's own), each query is also compared with the batch's items before it,
        as if the batch were added one item at a time.
        """
        signatures = np.atleast_2d(np.asarray(signatures, dtype=np.uint32))
        keys = band_keys(signatures)
        queries, rows = self._hits(keys)
        if len(rows):
            pairs, shared = distinct((queries << 32) | rows.astype(np.int64), counts=True)
            queries, rows = pairs >> 32, pairs & 0xFFFFFFFF
            live = self._alive[rows]
            queries, rows, shared = queries[live], rows[live], shared[live]
        else:
            queries, rows, shared = (np.empty(0, dtype=np.int64) for _ in range(3))
        stored = len(rows)
        if ids is not None:
            later, earlier, within_shared = pairs_within(keys, limit=self.MAX_PER_KEY)
            queries, rows = np.concatenate([queries, later]), np.concatenate([rows, earlier])
            shared = np.concatenate([shared, within_shared])
        # Per query, only the MAX_VERIFIED candidates sharing the most bands (earlier items first among
        # equals, the batch's own after the index's), as near() does one query at a time.
        order = np.lexsort((np.arange(len(rows)), -shared, queries))
        ranked = queries[order]
        firsts = np.flatnonzero(np.concatenate([[True], ranked[1:] != ranked[:-1]])) if len(ranked) else ranked
        rank = np.arange(len(ranked)) - np.repeat(firsts, np.diff(np.append(firsts, len(ranked))))
        chosen = np.sort(order[rank < self.MAX_VERIFIED])
        stored = int(np.count_nonzero(chosen < stored))
        queries, rows = queries[chosen], rows[chosen]
        if not len(rows):
            return np.empty(0, dtype=np.int64), [], np.empty(0)
        self.verified += len(rows)
        scores = np.empty(len(rows))
        batch = (signatures, signatures.astype(np.uint8))
        scores[:stored] = _agreement(batch, queries[:stored], (self._sigs, self._low), rows[:stored], threshold)
        scores[stored:] = _agreement(batch, queries[stored:], batch, rows[stored:], threshold)
        keep = scores >= threshold
        names = [self._ids[r] for r in rows[:stored][keep[:stored]].tolist()]
        if ids is not None:
            names += [ids[r] for r in rows[stored:][keep[stored:]].tolist()]
        return queries[keep], names, scores[keep]

    def query_counts(self, signature: np.ndarray) -> list[tuple[Hashable, int]]:
        rows = self.candidate_rows(signature)
        if not len(rows):
            return []
        rows, counts = distinct(rows, counts=True)
        order = np.argsort(-counts, kind="stable")
        return [
            (self._ids[r], c)
            for r, c in zip(rows[order].tolist(), counts[order].tolist(), strict=False)
            if self._alive[r]
        ]

    def signatures_of(self, item_ids: Iterable[Hashable]) -> dict[Hashable, np.ndarray]:
        return {i: self._sigs[self._row_of[i]] for i in item_ids if i in self._row_of}

    def signature_matrix(self, item_ids: Iterable[Hashable]) -> tuple[list[Hashable], np.ndarray]:
        """The indexed ids among ``item_ids`` and their signatures as one (n, 128) array."""
        known = [i for i in item_ids if i in self._row_of]
        return known, self._sigs[[self._row_of[i] for i in known]]


class FrozenBandIndex(MemoryBandIndex):
    """The band keys of a whole collection sorted once, looked up as a ``MemoryBandIndex`` fed batch after batch.

    ``near_pairs_before(rows, ...)`` answers what ``MemoryBandIndex.near_pairs`` answers for those rows once
    every indexed row before the first of them has been added (the batch's own earlier rows are compared as
    there, through ``ids``): the same candidates, up to ``MAX_PER_KEY`` under one band key, the earliest.  A
    collection's look-ups then need no index built up between them: no sorted arrays copied batch after batch,
    and batches independent of one another, so that several processes may look them up at once.

    ``signatures`` (one per row) is held, not copied; ``indexed`` are the rows in the index, ascending; ``ids``
    names each row.
    """

    _KEY_BLOCK = 65_536

    def __init__(self, ids: list[Hashable], signatures: np.ndarray, indexed: np.ndarray) -> None:
        super().__init__()
        indexed = np.asarray(indexed, dtype=np.int64)
        keys = np.empty(len(indexed) * BANDS, dtype=np.uint64)
        for start in range(0, len(indexed), self._KEY_BLOCK):
            rows = indexed[start : start + self._KEY_BLOCK]
            keys[start * BANDS : (start + len(rows)) * BANDS] = band_keys(signatures[rows]).ravel()
        # Stable: under one key the rows stay in the order they would have been added in.
        order = np.argsort(keys, kind="stable")
        self._keys = keys[order]
        del keys
        self._rows = indexed.astype(np.uint32)[order // BANDS]
        del order
        self._sigs = signatures
        self._low = signatures.astype(np.uint8)
        self._alive = np.ones(len(signatures), dtype=bool)
        self._ids = ids
        self._before = len(signatures)

    def __len__(self) -> int:
        return len(self._rows) // BANDS

    def add_many(self, item_ids: Iterable[Hashable], signatures: np.ndarray) -> None:
        raise TypeError("a frozen band index is built whole")

    def near_pairs_before(
        self, rows: np.ndarray, threshold: float, *, ids: list[Hashable]
    ) -> tuple[np.ndarray, list[Hashable], np.ndarray]:
        """``near_pairs`` of these rows' signatures (a batch in the collection's order) against the indexed rows
        before the first of them, and each against the batch's rows before it (named by ``ids``)."""
        self._before = int(rows[0]) if len(rows) else 0
        try:
            return self.near_pairs(self._sigs[rows], threshold, ids=ids)
        finally:
            self._before = len(self._sigs)

    def _hits(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """As ``MemoryBandIndex._hits`` with only the rows before ``_before`` added: under each key its earliest
        rows come first, so those before the limit are the first of its run."""
        flat = keys.ravel()
        lo = np.searchsorted(self._keys, flat, side="left")
        hi = np.searchsorted(self._keys, flat, side="right")
        counts = np.minimum(hi - lo, self.MAX_PER_KEY)
        total = int(counts.sum())
        if not total:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.uint32)
        starts = np.repeat(lo - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
        rows = self._rows[starts + np.arange(total)]
        queries = np.repeat(np.arange(len(flat)) // BANDS, counts)
        earlier = rows < self._before
        return queries[earlier], rows[earlier]


def pairs_within(keys: np.ndarray, *, limit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(later, earlier, shared bands) of the pairs in a batch that share a band key, each pair once.

    Under any one band key an item pairs with at most ``limit`` items before it (the earliest).
    """
    flat = keys.ravel()
    items = np.repeat(np.arange(len(keys)), keys.shape[1])
    order = np.lexsort((items, flat))
    flat, items = flat[order], items[order]
    starts = np.flatnonzero(np.concatenate([[True], flat[1:] != flat[:-1]]))
    sizes = np.diff(np.concatenate([starts, [len(flat)]]))
    # Each entry pairs with every entry before it in its run of equal keys (the runs are sorted by item).
    run_start = np.repeat(starts, sizes)
    before = np.minimum(np.arange(len(flat)) - run_start, limit)
    total = int(before.sum())
    if not total:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    later_at = np.repeat(np.arange(len(flat)), before)
    earlier_at = np.repeat(run_start, before) + (np.arange(total) - np.repeat(np.cumsum(before) - before, before))
    pairs, shared = distinct(items[later_at].astype(np.int64) << 32 | items[earlier_at].astype(np.int64), counts=True)
    later, earlier = pairs >> 32, pairs & 0xFFFFFFFF
    two = later != earlier  # an item two of whose bands hash alike must not pair with itself
    return later[two], earlier[two], shared[two]


def _agreement(left, left_rows: np.ndarray, right, right_rows: np.ndarray, threshold: float) -> np.ndarray:
    """Share of equal MinHash values of each pair (left[left_rows[i]], right[right_rows[i]]), in blocks; 0 for a
    pair below ``threshold``. ``left`` and ``right``: (signatures, their values' low bytes).

    The low bytes are compared first: equal values have equal low bytes, so a pair whose low bytes agree below
    the threshold is below it, and only the few others are compared in full. Reading a quarter of the bytes
    was most of the look-ups' time: most candidates of a collection on one subject are chance ones."""
    (left_values, left_low), (right_values, right_low) = left, right
    scores = np.zeros(len(left_rows))
    for start in range(0, len(left_rows), 8_192):
        stop = start + 8_192
        a, b = left_rows[start:stop], right_rows[start:stop]
        rough = np.count_nonzero(left_low[a] == right_low[b], axis=1) / NUM_PERM
        maybe = np.flatnonzero(rough >= threshold)
        equal = left_values[a[maybe]] == right_values[b[maybe]]
        scores[start + maybe] = np.count_nonzero(equal, axis=1) / NUM_PERM
    return scores


# A member added under each band key (KEYS[i] ARGV[i]) that holds fewer than ARGV[#ARGV - 1] ids and not it
# already: a look-up reads no more than that many (the earliest), and the product never removes one, so a longer
# list only cost each later add the copy of a string of thousands of ids.
_ADD_SCRIPT = """
local member = ARGV[#ARGV]
local most = tonumber(ARGV[#ARGV - 1])
for i = 1, #KEYS do
  local old = redis.call('HGET', KEYS[i], ARGV[i])
  if not old then
    redis.call('HSET', KEYS[i], ARGV[i], member)
  else
    local held, at = 1, 0
    while held < most do
      at = string.find(old, ',', at + 1, true)
      if not at then break end
      held = held + 1
    end
    if held < most and string.find(',' .. old .. ',', ',' .. member .. ',', 1, true) == nil then
      redis.call('HSET', KEYS[i], ARGV[i], old .. ',' .. member)
    end
  end
end
return #KEYS
"""

_REMOVE_SCRIPT = """
local member = ARGV[#ARGV]
for i = 1, #KEYS do
  local old = redis.call('HGET', KEYS[i], ARGV[i])
  if old then
    local kept = {}
    for m in string.gmatch(old, '[^,]+') do
      if m ~= member then table.insert(kept, m) end
    end
    if #kept == 0 then redis.call('HDEL', KEYS[i], ARGV[i])
    else redis.call('HSET', KEYS[i], ARGV[i], table.concat(kept, ',')) end
  end
end
return #KEYS
"""


# The ids of every band of a signature, joined by commas, in one reply; false when KEYS[1] (the caller's mark
# that the index is built) is missing. One reply to parse instead of one per band: parsing 32 replies was
# most of a look-up's time. Of each band, the first ARGV[#ARGV] ids only (the earliest added), as
# `MemoryBandIndex.MAX_PER_KEY` reads: a phrasing shared by thousands of texts put 8,000 ids in a look-up's reply
# with 100,000 stored, and parsing and counting them took a millisecond of each analysis.
_LOOKUP_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local most = tonumber(ARGV[#ARGV])
local found = {}
for i = 2, #KEYS do
  local ids = redis.call('HGET', KEYS[i], ARGV[i - 1])
  if ids then
    local cut = 0
    for _ = 1, most do
      cut = string.find(ids, ',', cut + 1, true)
      if not cut then break end
    end
    if cut then ids = string.sub(ids, 1, cut - 1) end
    found[#found + 1] = ids
  end
end
return table.concat(found, ',')
"""


def _member(item_id: Hashable) -> str:
    member = str(item_id)
    if "," in member:
        raise ValueError(f"ids in the Redis band index cannot contain commas: {member!r}")
    return member


class RedisBandIndex:
    """The band index shared by every worker, in Redis.

    Band keys are grouped into 2**bucket_bits small Redis hashes (field: the band key's
    8 bytes, value: comma-separated ids), which Redis stores as compact listpacks:
    about 20-30 bytes per band key instead of a whole Redis key each.  Ids must not
    contain commas.  Signatures themselves belong in the database; pass
    ``store_signatures=True`` to keep them in Redis too (512 bytes each).
    """

    # A look-up reads at most this many ids under one band key, the earliest added, as the in-memory index does;
    # no more are kept.
    MAX_PER_KEY = MemoryBandIndex.MAX_PER_KEY

    def __init__(self, client, prefix: str = "hd:lsh", *, bucket_bits: int = 20, store_signatures: bool = False):
        self.client = client
        self.prefix = prefix
        self.bucket_bits = bucket_bits
        self.store_signatures = store_signatures
        self._add = client.register_script(_ADD_SCRIPT)
        self._remove = client.register_script(_REMOVE_SCRIPT)
        self._lookup = client.register_script(_LOOKUP_SCRIPT)

    def slots(self, signature: np.ndarray) -> tuple[list[str], list[bytes]]:
        """Where a signature's bands live: one Redis hash per band and the band key's field in it, band by band.
        A caller that asks more of Redis in the same round trip reads the bands with these (``HGET hash field``)."""
        keys = band_keys(signature)[0]
        buckets = (keys >> np.uint64(64 - self.bucket_bits)).tolist()
        return [f"{self.prefix}:b:{b:x}" for b in buckets], [k.tobytes() for k in keys]

    def add(self, item_id: Hashable, signature: np.ndarray) -> None:
        if self.store_signatures:
            self.add_many([item_id], [signature])
            return
        # The script called alone is one round trip; in a pipeline it first asks Redis whether it is loaded.
        buckets, fields = self.slots(signature)
        self._add(keys=buckets, args=[*fields, self.MAX_PER_KEY, _member(item_id)])

    def add_many(self, item_ids: Iterable[Hashable], signatures: Iterable[np.ndarray]) -> None:
        item_ids, signatures = list(item_ids), list(signatures)
        if len(item_ids) == 1 and not self.store_signatures:
            self.add(item_ids[0], signatures[0])  # one round trip, where a pipeline of scripts takes two
            return
        pipe = self.client.pipeline(transaction=False)
        for item_id, sig in zip(item_ids, signatures, strict=False):
            member = _member(item_id)
            buckets, fields = self.slots(sig)
            self._add(keys=buckets, args=[*fields, self.MAX_PER_KEY, member], client=pipe)
            if self.store_signatures:
                pipe.hset(f"{self.prefix}:sig", member, np.asarray(sig, dtype="<u4").tobytes())
        pipe.execute()

    def remove(self, item_id: Hashable, signature: np.ndarray) -> None:
        """Forget an item. A band key that was full when later items came keeps one place fewer: those were not
        kept, so a rebuild (``clear`` and ``rebuild_index``) gives it back. The portal never removes one."""
        buckets, fields = self.slots(signature)
        self._remove(keys=buckets, args=[*fields, str(item_id)])
        if self.store_signatures:
            self.client.hdel(f"{self.prefix}:sig", str(item_id))

    def query(self, signature: np.ndarray) -> list[str]:
        return [item_id for item_id, _ in self.query_counts(signature)]

    def joined_bands(self, signatures: Iterable[np.ndarray], *, built_key: str) -> list[bytes | None]:
        """For each signature, the ids under all its bands joined by commas (an id once per band it shares), in one
        round trip for them all; None for each when ``built_key`` is missing, as when Redis lost the index."""
        signatures = list(signatures)
        if len(signatures) == 1:  # the script called alone is one round trip; in a pipeline it first asks Redis
            buckets, fields = self.slots(signatures[0])  # whether the script is loaded
            return [self._lookup(keys=[built_key, *buckets], args=[*fields, self.MAX_PER_KEY])]
        pipe = self.client.pipeline(transaction=False)
        for signature in signatures:
            buckets, fields = self.slots(signature)
            self._lookup(keys=[built_key, *buckets], args=[*fields, self.MAX_PER_KEY], client=pipe)
        return pipe.execute()

    def query_counts(self, signature: np.ndarray) -> list[tuple[str, int]]:
        """Candidate ids (as str) sharing at least one band, most shared bands first."""
        buckets, fields = self.slots(signature)
        pipe = self.client.pipeline(transaction=False)
        for bucket, field in zip(buckets, fields, strict=False):
            pipe.hget(bucket, field)
        counts: dict[str, int] = {}
        for value in pipe.execute():
            if value:
                for member in value.decode().split(",", self.MAX_PER_KEY)[: self.MAX_PER_KEY]:
                    counts[member] = counts.get(member, 0) + 1
        return sorted(counts.items(), key=lambda kv: -kv[1])

    def signatures_of(self, item_ids: Iterable[Hashable]) -> dict[str, np.ndarray]:
        if not self.store_signatures:
            raise LookupError("this index keeps no signatures: pass signatures_of= from the database")
        item_ids = [str(i) for i in item_ids]
        values = self.client.hmget(f"{self.prefix}:sig", item_ids) if item_ids else []
        return {i: signature_from_bytes(v) for i, v in zip(item_ids, values, strict=False) if v}

    def clear(self) -> int:
        """Delete every key under the prefix; returns how many were deleted."""
        deleted = 0
        batch = []
        for key in self.client.scan_iter(match=f"{self.prefix}:*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                deleted += self.client.delete(*batch)
                batch = []
        if batch:
            deleted += self.client.delete(*batch)
        return deleted


def rebuild_index(
    index: MemoryBandIndex | RedisBandIndex,
    stored: Iterable[tuple[Hashable, bytes | np.ndarray]] | Mapping[Hashable, bytes | np.ndarray],
    *,
    batch_size: int = 1000,
) -> int:
    """Fill an (empty) index from stored signatures, e.g. the database's BinaryField values."""
    items = stored.items() if isinstance(stored, Mapping) else stored
    ids: list[Hashable] = []
    sigs: list[np.ndarray] = []
    total = 0
    for item_id, sig in items:
        ids.append(item_id)
        sigs.append(signature_from_bytes(sig) if isinstance(sig, bytes | memoryview) else np.asarray(sig))
        if len(ids) >= batch_size:
            index.add_many(ids, np.stack(sigs))
            total += len(ids)
            ids, sigs = [], []
    if ids:
        index.add_many(ids, np.stack(sigs))
        total += len(ids)
    return total

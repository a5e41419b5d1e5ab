"""Candidates for the most similar texts of a large collection: an approximate index proposes, the exact score decides.

Multiplying every text by every other grows with n²: 40,000 texts took four times as long as 20,000.
Here each text's lexical vector is projected onto the collection's main directions (a truncated SVD
fitted on a sample) and put in a usearch HNSW graph; a look-up returns the few rows whose projections
are closest, and the caller re-scores those rows with the exact similarity.  Below ``EXACT_LIMIT`` rows
every row is a candidate, so a small collection gets exactly what the full product gives.

usearch rather than faiss-cpu (both install as wheels here): on 18,000 distinct noisy texts, 128
dimensions, one thread, usearch built and searched in 1.5 + 1.7 s (int8) against faiss HNSW's 2.4 + 2.1 s
at the same candidate recall, and its int8 graph keeps a million rows in about a quarter of float32's memory.

Above ``SHARD_ABOVE`` rows the graph is split into shards of consecutive rows, each built on one thread, the
shards side by side; a look-up asks every shard and keeps the closest.  One graph built by several threads
depends on their timing, and the lists with it; shards built alone do not.  Measured on the projections of
178,590 distinct forms: one graph built in 11.8 s, two shards side by side in 4.4 s, and two shards searched
at expansion 48 found as many of the exact 17 nearest (0.880) as one searched at 64 (0.883).
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import sparse

__all__ = ["CANDIDATES", "EXACT_LIMIT", "CandidateIndex"]

logger = logging.getLogger(__name__)

# Rows searched exhaustively below this: the full product of a few thousand rows costs less than a graph.
EXACT_LIMIT = 2_000
CANDIDATES = 16
DIMENSIONS = 64
_SVD_SAMPLE = 5_000
_BLOCK = 50_000
# Rows above which the graph is built in shards, and the most rows of one shard.
SHARD_ABOVE = 100_000
SHARD_ROWS = 500_000
_EXPANSION = 64  # of a build, and of a search of one graph
_SHARD_EXPANSION = 48  # of a search of each shard: the closest of all shards are as good as one graph's at 64


class CandidateIndex:
    """The rows of ``vectors`` (sparse or dense, one text a row), searchable by approximate inner product.

    ``dense`` (optional, unit rows) is appended with weight ``dense_weight``, as the mixed similarity does.
    A row whose ``vectors`` part is zeros, or holds a NaN or an infinity, is left out of the graph and is no
    one's candidate; looked up, it gets no candidates.  A ``dense`` row that is not finite counts as zeros.
    """

    def __init__(
        self,
        vectors,
        dense: np.ndarray | None = None,
        *,
        dense_weight: float = 0.0,
        dimensions: int = DIMENSIONS,
        exact_limit: int = EXACT_LIMIT,
        seed: int = 0,
        threads: int = 0,
        shard_above: int = SHARD_ABOVE,
    ) -> None:
        self.n_rows = vectors.shape[0]
        self.exact = self.n_rows <= exact_limit
        # One search at a time: usearch gives each of a search's threads a context of its own by number, and two
        # searches at once (``parallel.on_threads``) would share them.
        self._one_search = threading.Lock()
        self.threads = threads
        if self.exact:
            self.usable = np.ones(self.n_rows, dtype=bool)
            return
        points = self._project(vectors, dimensions, seed)
        norms = np.linalg.norm(points, axis=1)
        # A text without words has nothing to compare, whatever its e5 vector says.
        self.usable = np.isfinite(norms) & (norms > 1e-9)
        if dense is not None:
            # An e5 vector with a NaN or an infinity (or not made yet) leaves the words alone to place the text.
            dense = np.where(np.isfinite(dense).all(axis=1)[:, None], dense, 0)
            points = np.hstack([np.sqrt(1 - dense_weight) * points, np.sqrt(dense_weight) * dense]).astype(np.float32)
            norms = np.linalg.norm(points, axis=1)
        if not self.usable.all():
            logger.info(
                "%s of %s rows have no usable vector and are no one's candidate", (~self.usable).sum(), len(norms)
            )
        points[~self.usable] = 0
        points[self.usable] /= norms[self.usable, None]
        self.points = points

        keys = np.flatnonzero(self.usable).astype(np.uint64)
        self.size = len(keys)
        shards = 1 if len(keys) <= max(1, shard_above) else max(2, math.ceil(len(keys) / SHARD_ROWS))
        started = time.perf_counter()
        parts = np.array_split(keys, shards)
        # Each shard is built on one thread: a graph that several threads build depends on their timing, and so
        # did the similar lists (about 1,000 of 20,000 texts' lists differed between two runs on the same file).
        # Shards are built side by side, as many at once as there are cores; a search only reads them.
        with ThreadPoolExecutor(max_workers=max(1, min(shards, os.cpu_count() or 1))) as pool:
            self.shards = list(pool.map(self._graph, parts))
        logger.info(
            "Candidate graph of %s rows built in %.1f s (%s shard%s)",
            len(keys),
            time.perf_counter() - started,
            shards,
            "s" if shards > 1 else "",
        )

    def _graph(self, keys: np.ndarray):
        from usearch.index import Index

        index = Index(ndim=self.points.shape[1], metric="ip", dtype="i8", connectivity=16, expansion_add=_EXPANSION)
        if len(keys):
            index.add(keys, self.points[keys.astype(np.int64)], threads=1)
        return index

    def _project(self, vectors, dimensions: int, seed: int) -> np.ndarray:
        """The rows on the main directions of a sample: most of a text's similarities lie along them."""
        from sklearn.decomposition import TruncatedSVD

        rng = np.random.default_rng(seed)
        sample_rows = np.sort(rng.choice(self.n_rows, min(self.n_rows, _SVD_SAMPLE), replace=False))
        sample = vectors[sample_rows]
        sample = sample.astype(np.float64) if sparse.issparse(sample) else np.asarray(sample, dtype=np.float64)
        sample = np.nan_to_num(sample) if not sparse.issparse(sample) else sample
        if sparse.issparse(sample):
            sample.data = np.nan_to_num(sample.data)
        dimensions = max(1, min(dimensions, sample.shape[1] - 1, sample.shape[0] - 1))
        svd = TruncatedSVD(n_components=dimensions, algorithm="randomized", n_iter=3, random_state=seed)
        svd.fit(sample)
        components = svd.components_.T.astype(np.float32)
        blocks = []
        for start in range(0, self.n_rows, _BLOCK):
            block = vectors[start : start + _BLOCK]
            blocks.append(np.asarray(block @ components, dtype=np.float32))
        return np.vstack(blocks)

    def candidates(self, rows: np.ndarray, count: int = CANDIDATES) -> list[np.ndarray]:
        """For each of ``rows`` (row numbers of the indexed vectors), up to ``count`` other rows, closest first."""
        rows = np.asarray(rows, dtype=np.int64)
        if self.exact:
            everyone = np.arange(self.n_rows)
            return [everyone[everyone != row] for row in rows.tolist()]
        found: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * len(rows)
        searched = np.flatnonzero(self.usable[rows]) if len(rows) else np.empty(0, dtype=np.int64)
        if not len(searched) or not self.size:
            return found
        wanted = rows[searched]
        keys, counts = self._search(self.points[wanted], count + 1)
        # What was found, less the row itself, at most ``count`` of it: all rows at once.
        kept = (np.arange(keys.shape[1])[None, :] < counts[:, None]) & (keys != wanted[:, None])
        kept &= np.cumsum(kept, axis=1) <= count
        for position, row_keys in zip(
            searched.tolist(), np.split(keys[kept], np.cumsum(kept.sum(axis=1))[:-1]), strict=True
        ):
            found[position] = row_keys
        return found

    def _search(self, queries: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
        """Each query's up to ``count`` closest keys (a row each) and how many of them there are."""
        if len(self.shards) == 1:
            with self._one_search:
                keys, _, counts = _matches(self.shards[0], queries, count, _EXPANSION, self.threads)
            return keys, counts
        keys, distances = [], []
        for index in self.shards:
            with self._one_search:
                shard_keys, shard_distances, counts = _matches(index, queries, count, _SHARD_EXPANSION, self.threads)
            shard_distances[np.arange(shard_keys.shape[1])[None, :] >= counts[:, None]] = np.inf  # not found
            keys.append(shard_keys)
            distances.append(shard_distances)
        keys, distances = np.hstack(keys), np.hstack(distances)
        # Closest first across the shards; at equal distance the earlier row, whatever shard it lies in.
        order = np.lexsort((keys, distances), axis=1)[:, :count]
        keys, distances = np.take_along_axis(keys, order, 1), np.take_along_axis(distances, order, 1)
        return keys, np.isfinite(distances).sum(axis=1)


def _matches(
    index, queries: np.ndarray, count: int, expansion: int, threads: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One graph's answer to the queries as arrays: keys and distances (a row per query) and how many were found."""
    index.expansion_search = expansion
    matches = index.search(queries, min(count, len(index)), threads=threads)
    keys = np.asarray(matches.keys).reshape(len(queries), -1).astype(np.int64)
    distances = np.asarray(matches.distances, dtype=np.float64).reshape(len(queries), -1)
    # One query gives usearch's single Matches, which holds only what was found and has no counts.
    counts = np.asarray(getattr(matches, "counts", [keys.shape[1]])).reshape(len(queries))
    return keys, distances, counts

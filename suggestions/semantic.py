"""The semantic tier: e5 vectors of analyzed suggestions, and a matrix of them in each process that searches.

Only the worker of the `semantic` queue embeds and searches: the model (about 0.7 s to load) and the matrix
(1.5 KB a suggestion as float32: 150 MB at 100,000) are loaded there, lazily, once per process, and the matrix
then reads only the vectors stored since it last looked.
"""

import numpy as np
from django.utils import timezone

from suggestions import analysis
from suggestions.caches import process_caches
from suggestions.models import SuggestionEmbedding

DIMENSIONS = 384
STORED_DTYPE = np.float16
SYNC_MARGIN_SECONDS = 10  # a vector committed up to this long after it was stamped is still found


def vector_to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=STORED_DTYPE).reshape(DIMENSIONS).tobytes()


def vector_from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype=STORED_DTYPE).astype(np.float32)


def is_usable(vector: np.ndarray) -> bool:
    """A vector that can be compared: every value finite, not all zeros."""
    vector = np.asarray(vector)
    return bool(np.isfinite(vector).all() and vector.any())


def embed(display: str) -> np.ndarray:
    """The unit e5 vector of a display-form text, as the batch path (`analyze_file`) makes it."""
    return analysis.semantic_vectors([display])[0]


class VectorMatrix:
    """Unit vectors in one float32 matrix grown by doubling; a look-up is one matrix-vector product."""

    def __init__(self, capacity: int = 1024):
        self.ids = np.zeros(capacity, dtype=np.int64)
        self.matrix = np.zeros((capacity, DIMENSIONS), dtype=np.float32)
        self.row_of: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self.row_of)

    def __contains__(self, pk: int) -> bool:
        return pk in self.row_of

    def add(self, pks: list[int], vectors: np.ndarray) -> None:
        fresh = [(pk, vector) for pk, vector in zip(pks, vectors, strict=True) if pk not in self.row_of]
        if not fresh:
            return
        needed = len(self.row_of) + len(fresh)
        if needed > len(self.ids):
            capacity = max(needed, 2 * len(self.ids))
            self.ids = np.resize(self.ids, capacity)
            grown = np.zeros((capacity, DIMENSIONS), dtype=np.float32)
            grown[: len(self.row_of)] = self.matrix[: len(self.row_of)]
            self.matrix = grown
        for pk, vector in fresh:
            row = len(self.row_of)
            self.ids[row] = pk
            # A vector of NaN would make every score it takes part in NaN: kept as zeros, it is no one's neighbour.
            self.matrix[row] = vector if is_usable(vector) else 0
            self.row_of[pk] = row

    def cosines(self, vector: np.ndarray, pks) -> dict[int, float]:
        rows = [(pk, self.row_of[pk]) for pk in pks if pk in self.row_of]
        if not rows:
            return {}
        scores = self.matrix[[row for _, row in rows]] @ vector
        return {pk: float(score) for (pk, _), score in zip(rows, scores, strict=True)}

    def nearest(self, vector: np.ndarray, *, k: int, exclude=()) -> list[tuple[int, float]]:
        """The k stored vectors closest to `vector` (cosine), best first, leaving out the ids in `exclude`."""
        count = len(self.row_of)
        if count == 0 or k <= 0:
            return []
        scores = self.matrix[:count] @ np.asarray(vector, dtype=np.float32)
        excluded = set(exclude)
        wanted = min(count, k + len(excluded))
        top = np.argpartition(-scores, wanted - 1)[:wanted] if wanted < count else np.arange(count)
        top = top[np.argsort(-scores[top], kind="stable")]
        found = [(int(self.ids[row]), float(scores[row])) for row in top if int(self.ids[row]) not in excluded]
        return found[:k]


class DatabaseSyncedVectors:
    """A VectorMatrix that reads the vectors stored since its last look before every search."""

    def __init__(self):
        self.vectors = VectorMatrix()
        self.synced_to = None  # the latest stored_at read

    def sync(self) -> None:
        rows = SuggestionEmbedding.objects.filter(state=SuggestionEmbedding.State.STORED)
        if self.synced_to is not None:
            # Another process may commit a vector stamped a little before the latest one read here.
            rows = rows.filter(stored_at__gte=self.synced_to - timezone.timedelta(seconds=SYNC_MARGIN_SECONDS))
        stamps = list(rows.values_list("pk", "stored_at").iterator(chunk_size=5000))
        new = [pk for pk, _ in stamps if pk not in self.vectors]
        for start in range(0, len(new), 5000):
            batch = SuggestionEmbedding.objects.filter(pk__in=new[start : start + 5000]).values_list("pk", "vector")
            pks, vectors = zip(*batch, strict=True)
            self.vectors.add(list(pks), np.stack([vector_from_bytes(vector) for vector in vectors]))
        if stamps:
            self.synced_to = max(stamp for _, stamp in stamps)

    def nearest(self, vector: np.ndarray, *, k: int, exclude=()) -> list[tuple[int, float]]:
        self.sync()
        return self.vectors.nearest(vector, k=k, exclude=exclude)

    def cosines(self, vector: np.ndarray, pks) -> dict[int, float]:
        return self.vectors.cosines(vector, pks)

    def add(self, pk: int, vector: np.ndarray) -> None:
        self.vectors.add([pk], np.asarray(vector, dtype=np.float32).reshape(1, DIMENSIONS))


def vector_index() -> DatabaseSyncedVectors:
    """This process's matrix, made on first use and kept in `process_caches`."""
    return process_caches.get_or_make("vectors", DatabaseSyncedVectors)

"""Near-duplicates and campaigns: LSH candidates verified by estimated Jaccard.

A near-duplicate is the same text with small edits (typos, a swapped word, a
changed greeting), not the same idea in other words: those are "similar", never
merged.  On the development set, pairs of different ideas never exceeded a
character 5-gram Jaccard of 0.15 and typo variants of one text were 0.5-1.0, so
merging at 0.55 keeps a wide margin on the side of never merging two ideas.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from .lsh import MemoryBandIndex
from .minhash import estimated_jaccard

__all__ = [
    "CAMPAIGN_MIN_SIZE",
    "NEAR_DUPLICATE_THRESHOLD",
    "NearDuplicate",
    "find_near_duplicates",
    "find_near_duplicates_batch",
    "near_duplicate_lists",
    "group_kind",
    "best_group_for",
]

NEAR_DUPLICATE_THRESHOLD = 0.55
# A group with this many members of more than one wording is a campaign, not a chance repeat.
CAMPAIGN_MIN_SIZE = 5
_MAX_VERIFIED = 500


@dataclass(frozen=True, slots=True)
class NearDuplicate:
    id: Hashable
    score: float  # estimated Jaccard of character 5-grams of the match forms


def find_near_duplicates(
    signature: np.ndarray,
    index,
    *,
    threshold: float = NEAR_DUPLICATE_THRESHOLD,
    signatures_of: Callable[[list[Hashable]], Mapping[Hashable, np.ndarray]] | None = None,
    signature_matrix: Callable[[list[Hashable]], tuple[list[Hashable], np.ndarray]] | None = None,
    exclude: Iterable[Hashable] = (),
) -> list[NearDuplicate]:
    """Indexed items whose estimated Jaccard with ``signature`` is at least ``threshold``, best first.

    ``signatures_of`` loads stored signatures for candidate ids (for a Redis index
    whose signatures live in the database); ``signature_matrix``, where given, loads them
    as the rows of one array with the ids found, as the index's own ``signature_matrix``
    does; by default the index's own signatures are used.
    """
    excluded = set(exclude)
    if signatures_of is None and signature_matrix is None and hasattr(index, "near"):
        found = [NearDuplicate(i, s) for i, s in index.near(np.asarray(signature), threshold, excluded)]
        return sorted(found, key=lambda d: (-d.score, str(d.id)))
    candidates = [c for c in index.query(signature) if c not in excluded][:_MAX_VERIFIED]
    if not candidates:
        return []
    if signature_matrix is None and signatures_of is None and hasattr(index, "signature_matrix"):
        signature_matrix = index.signature_matrix
    if signature_matrix is not None:
        candidates, matrix = signature_matrix(candidates)
    else:
        stored = (signatures_of or index.signatures_of)(candidates)
        candidates = list(stored)
        matrix = np.vstack([stored[c] for c in candidates]) if candidates else np.empty((0, len(signature)))
    if not len(candidates):
        return []
    scores = np.count_nonzero(matrix == np.asarray(signature)[None, :], axis=1) / matrix.shape[1]
    found = [NearDuplicate(c, float(s)) for c, s in zip(candidates, scores.tolist(), strict=True) if s >= threshold]
    found.sort(key=lambda d: (-d.score, str(d.id)))
    return found


def find_near_duplicates_batch(
    item_ids: list[Hashable],
    signatures: np.ndarray,
    index: MemoryBandIndex,
    *,
    threshold: float = NEAR_DUPLICATE_THRESHOLD,
) -> list[list[NearDuplicate]]:
    """``find_near_duplicates`` for a batch, then the batch is added to the index.

    Item i's list holds the indexed items and the batch's items before i at or above
    ``threshold``, best first: the same answers as querying and adding one item at a time,
    with the band look-ups and verifications done once for the whole batch in numpy.
    """
    signatures = np.atleast_2d(np.asarray(signatures, dtype=np.uint32))
    found = near_duplicate_lists(len(item_ids), *index.near_pairs(signatures, threshold, ids=item_ids))
    index.add_many(item_ids, signatures)
    return found


def near_duplicate_lists(
    count: int, queries: np.ndarray, ids: list[Hashable], scores: np.ndarray
) -> list[list[NearDuplicate]]:
    """Each of ``count`` queries' near-duplicates, best first, from a band index's ``near_pairs``."""
    found: list[list[NearDuplicate]] = [[] for _ in range(count)]
    for q, item_id, score in zip(queries.tolist(), ids, scores.tolist(), strict=True):
        found[q].append(NearDuplicate(item_id, score))
    for near in found:
        near.sort(key=lambda d: (-d.score, str(d.id)))
    return found


def best_group_for(
    near: list[NearDuplicate],
    group_of: Mapping[Hashable, Hashable],
    canonical_signature: Callable[[Hashable], np.ndarray],
    signature: np.ndarray,
    *,
    threshold: float = NEAR_DUPLICATE_THRESHOLD,
) -> Hashable | None:
    """The group a new text joins: its best near-duplicate's, if also close to that group's canonical.

    Checking against the canonical member stops chains (A~B, B~C, A far from C) from
    pulling two different texts into one group.
    """
    for dup in near:
        group = group_of.get(dup.id, dup.id)
        if estimated_jaccard(signature, canonical_signature(group)) >= threshold:
            return group
    return None


def group_kind(fingerprints: Iterable[str]) -> str:
    """``exact`` when every member has one fingerprint, ``campaign`` for a large group, else ``near``."""
    fingerprints = list(fingerprints)
    if len(set(fingerprints)) <= 1:
        return "exact"
    return "campaign" if len(fingerprints) >= CAMPAIGN_MIN_SIZE else "near"

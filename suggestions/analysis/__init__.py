"""Persian text analysis for Hamandishi: pure Python, no Django, no other project app."""

from .corpus import ThemeSpace, analyze_corpus, duplicate_groups, theme_vectors
from .duplicates import (
    CAMPAIGN_MIN_SIZE,
    NEAR_DUPLICATE_THRESHOLD,
    NearDuplicate,
    best_group_for,
    find_near_duplicates,
    find_near_duplicates_batch,
    group_kind,
)
from .lsh import MemoryBandIndex, RedisBandIndex, rebuild_index
from .minhash import estimated_jaccard, signature, signature_from_bytes, signature_to_bytes
from .normalize import display_form, fingerprint, match_form
from .themes import UNCLUSTERED, ThemeModel, cluster_themes, label_themes, match_themes, usable_rows
from .vectors import LexicalVectorizer, list_vectorizer, main_clauses, semantic_available, semantic_vectors

__all__ = [
    "CAMPAIGN_MIN_SIZE",
    "NEAR_DUPLICATE_THRESHOLD",
    "LexicalVectorizer",
    "MemoryBandIndex",
    "NearDuplicate",
    "RedisBandIndex",
    "ThemeModel",
    "ThemeSpace",
    "UNCLUSTERED",
    "analyze_corpus",
    "best_group_for",
    "cluster_themes",
    "display_form",
    "duplicate_groups",
    "estimated_jaccard",
    "find_near_duplicates",
    "find_near_duplicates_batch",
    "fingerprint",
    "group_kind",
    "label_themes",
    "list_vectorizer",
    "main_clauses",
    "match_form",
    "match_themes",
    "rebuild_index",
    "semantic_available",
    "semantic_vectors",
    "signature",
    "signature_from_bytes",
    "signature_to_bytes",
    "theme_vectors",
    "usable_rows",
]

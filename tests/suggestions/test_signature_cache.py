"""A worker's stored signatures, kept as the rows of one matrix: each row is the signature stored for its
suggestion, whichever way it came in (the first load, a read of what was missing, the worker's own analyses),
and a full cache forgets the oldest first."""

import numpy as np
import pytest

from suggestions import analysis, pipeline
from suggestions.analysis.minhash import NUM_PERM
from tests.factories import AnalyzedSuggestionFactory

pytestmark = pytest.mark.django_db


def stored(count: int) -> dict[int, np.ndarray]:
    suggestions = [AnalyzedSuggestionFactory(body=f"پیشنهاد شماره {n} برای برگزاری انتخابات") for n in range(count)]
    return {s.pk: analysis.signature_from_bytes(s.signature) for s in suggestions}


def test_the_rows_are_the_stored_signatures_in_the_order_asked_and_an_unknown_id_is_left_out():
    signatures = stored(3)
    first, second, third = signatures
    known, rows = pipeline.SignatureCache().matrix_of([third, 10**9, first, second])
    assert known == [third, first, second]
    assert rows.shape == (3, NUM_PERM) and rows.dtype == np.uint32
    for pk, row in zip(known, rows, strict=True):
        assert np.array_equal(row, signatures[pk])


def test_a_signature_stored_after_the_first_load_is_read_once_it_is_asked_for():
    cache = pipeline.SignatureCache()
    cache.matrix_of([])  # the first load
    later = stored(1)
    (pk,) = later
    known, rows = cache.matrix_of([pk])
    assert known == [pk] and np.array_equal(rows[0], later[pk])


def test_a_full_cache_forgets_its_oldest_quarter_and_keeps_the_rest_right(monkeypatch):
    monkeypatch.setattr(pipeline.SignatureCache, "LIMIT", 8)
    cache = pipeline.SignatureCache()
    cache.loaded = True
    rng = np.random.default_rng(5)
    kept = {pk: rng.integers(0, 2**32, NUM_PERM, dtype=np.uint32) for pk in range(1, 12)}
    for pk, signature in kept.items():
        cache.keep(pk, signature)
    assert len(cache.row_of) <= 8
    assert 1 not in cache.row_of and 11 in cache.row_of
    for pk, row in cache.of(cache.row_of).items():
        assert np.array_equal(row, kept[pk])


def test_the_rows_given_are_a_copy_that_a_later_keep_does_not_change(monkeypatch):
    monkeypatch.setattr(pipeline.SignatureCache, "LIMIT", 4)
    cache = pipeline.SignatureCache()
    cache.loaded = True
    for pk in range(1, 5):
        cache.keep(pk, np.full(NUM_PERM, pk, dtype=np.uint32))
    _, rows = cache.matrix_of([4])
    cache.keep(5, np.full(NUM_PERM, 5, dtype=np.uint32))  # moves the rows up by a quarter
    assert (rows[0] == 4).all()

"""Similar lists in a crowded collection: what every text of the collection shares in meaning does not rank."""

import numpy as np
from scipy import sparse

from suggestions.analysis.corpus import centred_rows, similar_lists
from suggestions.analysis.engine import centred_cosines


def _unit(rows) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def crowd_with_a_paraphrase():
    """Text 0 and its paraphrase 1 share few words; texts 2-5 share more of text 0's words (the crowd's phrasing).
    In e5 every text sits near one direction (the collection's subject), as raw e5 cosines do; only 0 and 1 also
    share a direction of their own."""
    ids = ["a", "paraphrase", "crowd1", "crowd2", "crowd3", "crowd4"]
    lexical = sparse.csr_matrix(
        _unit(
            [
                [1.0, 1.0, 0.0, 0.0, 0.0, 0.0],
                [0.3, 0.0, 1.0, 0.0, 0.0, 0.0],
                [1.0, 0.0, 0.0, 1.0, 0.0, 0.0],
                [1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
                [0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
                [1.0, 0.2, 0.0, 0.0, 0.0, 1.0],
            ]
        )
    )
    subject = 3.0
    dense = _unit(
        [
            [subject, 0.6, 0.0, 0.0, 0.0, 0.0],
            [subject, 0.6, 0.1, 0.0, 0.0, 0.0],
            [subject, 0.0, 0.0, 0.6, 0.0, 0.0],
            [subject, 0.0, 0.0, 0.0, 0.6, 0.0],
            [subject, 0.0, 0.6, 0.0, 0.0, 0.0],
            [subject, 0.0, 0.0, 0.0, 0.0, 0.6],
        ]
    )
    # Distinct random signatures: no two texts are near-copies.
    signatures = np.random.default_rng(0).integers(0, 2**32 - 1, size=(len(ids), 128), dtype=np.uint32)
    return ids, lexical, dense, signatures


def test_a_paraphrase_outranks_texts_that_only_share_the_collections_subject_and_some_words():
    ids, lexical, dense, signatures = crowd_with_a_paraphrase()
    lists = similar_lists(ids, ids, [f"form {i}" for i in ids], signatures, lexical, dense, k=2)
    assert lists[0][0][0] == "paraphrase"
    assert lists[1][0][0] == "a"


def test_without_e5_vectors_the_words_alone_rank():
    ids, lexical, _, signatures = crowd_with_a_paraphrase()
    lists = similar_lists(ids, ids, [f"form {i}" for i in ids], signatures, lexical, None, k=2)
    assert "paraphrase" not in [other for other, _ in lists[0]]


def test_the_portal_centres_an_e5_cosine_as_the_batch_lists_do():
    dense = _unit(np.random.default_rng(1).normal(size=(8, 16)) + 2.0)
    centred, mean = centred_rows(dense)
    index_cosines = {n: float(dense[0] @ dense[n]) for n in range(1, 8)}
    portal = centred_cosines(
        index_cosines, own=float(dense[0] @ mean), to_mean={n: float(dense[n] @ mean) for n in range(1, 8)}, mean=mean
    )
    batch = {n: float(centred[0] @ centred[n]) for n in range(1, 8)}
    assert portal == {n: portal[n] for n in batch}
    assert np.allclose([portal[n] for n in batch], [batch[n] for n in batch], atol=1e-5)


def test_a_text_whose_e5_vector_is_missing_or_broken_is_centred_to_zeros_and_left_out_of_the_mean():
    dense = _unit([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0]])
    dense = np.vstack([dense, np.zeros(3, dtype=np.float32), np.full(3, np.nan, dtype=np.float32)])
    centred, mean = centred_rows(dense)
    assert np.allclose(mean, dense[:3].mean(axis=0))
    assert not centred[3:].any()
    assert np.allclose(np.linalg.norm(centred[:3], axis=1), 1.0)

"""Rows scaled to unit length: a dense array is scaled without scikit-learn, with its figures to the last bit."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.preprocessing import normalize

from suggestions.analysis.learn import l2_normalize


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_rows_are_scaled_to_the_bit_as_scikit_learn_scales_them_and_a_row_of_zeros_stays_zeros(dtype):
    rng = np.random.default_rng(3)
    rows = rng.normal(size=(50, 24)).astype(dtype)
    rows[7] = 0
    rows[9] = 1e-20  # a norm under ten machine epsilons is taken as one, as scikit-learn does
    ours = l2_normalize(rows)
    assert ours.dtype == dtype
    assert np.array_equal(ours, normalize(rows))
    assert not ours[7].any()


def test_dense_rows_are_scaled_in_place_only_when_asked():
    rows = np.array([[3.0, 4.0]], dtype=np.float32)
    l2_normalize(rows)
    assert rows.tolist() == [[3.0, 4.0]]
    l2_normalize(rows, copy=False)
    assert rows.tolist() == [[0.6000000238418579, 0.800000011920929]]


def test_sparse_rows_and_integer_arrays_are_scaled_as_before():
    counts = sparse.csr_matrix(np.array([[0, 2, 0], [1, 1, 1]], dtype=np.float32))
    assert (l2_normalize(counts) != normalize(counts)).nnz == 0
    integers = np.array([[3, 4]])
    assert np.array_equal(l2_normalize(integers), normalize(integers))

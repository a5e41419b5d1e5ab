"""A text that normalises to nothing, or a vector of zeros or NaN, is skipped by the theme clustering with one
log line and gets no theme; every other suggestion is still clustered. Through the library, the batch path
(`analyze_corpus`, `analyze_file`), the portal's re-clustering with rows stored past the form, and the import."""

import json
import logging

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.test import TestCase
from scipy import sparse

from suggestions import pipeline, semantic
from suggestions.analysis import ThemeSpace, analyze_corpus, cluster_themes
from suggestions.models import Suggestion, SuggestionEmbedding, ThemeMembership
from suggestions.tasks import analyze_suggestion
from tests.factories import SuggestionFactory
from tests.suggestions.ideas import IDEAS, analyzed

ZWNJ = "\u200c"
TEXTS = [text for texts in IDEAS.values() for text in texts]


def _ideas_vectors() -> sparse.csr_matrix:
    return ThemeSpace().fit_transform(TEXTS)


# The library ---------------------------------------------------------------------------------------------


def test_a_row_of_zeros_gets_no_theme_and_the_other_rows_are_still_clustered():
    vectors = sparse.vstack([_ideas_vectors(), sparse.csr_matrix((1, _ideas_vectors().shape[1]))], format="csr")
    ids = list(range(vectors.shape[0]))
    labels, model = cluster_themes(vectors, ids, [*TEXTS, ""])
    assert labels[-1] == -1
    assert (labels[:-1] >= 0).all()
    assert len(set(labels[:-1].tolist())) >= 2
    assert sum(model.sizes) == len(TEXTS)


def test_a_row_of_nan_gets_no_theme_and_the_other_rows_are_still_clustered():
    dense = _ideas_vectors().toarray()
    broken = np.full((1, dense.shape[1]), np.nan, dtype=np.float32)
    labels, _ = cluster_themes(np.vstack([dense, broken]), list(range(len(dense) + 1)), [*TEXTS, "متن"])
    assert labels[-1] == -1
    assert (labels[:-1] >= 0).all()


def test_sparse_rows_holding_a_nan_or_only_stored_zeros_get_no_theme():
    vectors = _ideas_vectors().tolil()
    vectors[0, 0] = np.nan
    vectors = sparse.vstack([vectors.tocsr(), sparse.csr_matrix(([0.0], ([0], [3])), shape=(1, vectors.shape[1]))])
    labels, _ = cluster_themes(vectors.tocsr(), list(range(vectors.shape[0])), [*TEXTS, "متن"])
    assert labels[0] == -1 and labels[-1] == -1
    assert (labels[1:-1] >= 0).all()


def test_the_theme_model_places_a_vector_of_zeros_nowhere():
    _, model = cluster_themes(_ideas_vectors(), list(range(len(TEXTS))), TEXTS)
    model.theme_ids = list(range(10, 10 + len(model.labels)))
    assert model.assign(np.zeros((1, model.centroids.shape[1]))) == (None, 0.0)


def test_an_e5_vector_of_nan_or_zeros_leaves_the_text_placed_by_its_words():
    rng = np.random.default_rng(0)
    dense = rng.normal(size=(len(TEXTS), 384)).astype(np.float32)
    dense[0] = np.nan
    dense[1] = 0
    vectors = ThemeSpace().fit_transform(TEXTS, dense)
    assert np.isfinite(vectors.data).all()
    labels, _ = cluster_themes(vectors, list(range(len(TEXTS))), TEXTS)
    assert (labels >= 0).all()


def test_analyze_corpus_gives_an_invisible_text_no_theme_with_one_log_line(caplog):
    records = [(f"s{i}", text) for i, text in enumerate(TEXTS)] + [("blank", ZWNJ * 12 + "\n" + ZWNJ * 40)]
    with caplog.at_level(logging.WARNING, logger="suggestions.analysis"):
        results = {r["id"]: r for r in analyze_corpus(records, semantic=False)}
    assert results["blank"]["cluster"] is None
    assert results["blank"]["cluster_label"] == "بدون متن قابل دسته‌بندی"
    assert results["blank"]["similar"] == []
    assert all(results[f"s{i}"]["cluster"] for i in range(len(TEXTS)))
    assert len({results[f"s{i}"]["cluster"] for i in range(len(TEXTS))}) >= 2
    skipped = [record for record in caplog.records if "blank" in record.getMessage()]
    assert len(skipped) == 1


def test_analyze_corpus_of_invisible_texts_only_gives_no_theme_to_any():
    results = analyze_corpus([("a", ZWNJ * 5), ("b", "  "), ("c", "؟؟؟")], semantic=False)
    assert [r["cluster"] for r in results] == [None, None, None]


def test_a_stored_e5_vector_of_nan_is_no_ones_neighbour():
    vectors = semantic.VectorMatrix()
    good = np.ones(semantic.DIMENSIONS, dtype=np.float32) / np.sqrt(semantic.DIMENSIONS)
    vectors.add([1, 2], np.stack([good, np.full(semantic.DIMENSIONS, np.nan, dtype=np.float32)]))
    found = vectors.nearest(good, k=2)
    assert found[0][0] == 1
    assert all(np.isfinite(score) for _, score in found)


# The batch command -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_analyze_file_writes_an_invisible_text_without_a_theme_and_clusters_the_rest(tmp_path):
    rows = [{"id": f"s{i}", "text": text} for i, text in enumerate(TEXTS)]
    rows.append({"id": "blank", "text": ZWNJ * 52})
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    call_command("analyze_file", str(source), out=str(out))
    results = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert results["blank"]["cluster"] is None
    assert all(results[f"s{i}"]["cluster"] for i in range(len(TEXTS)))


# The portal's re-clustering ------------------------------------------------------------------------------


def _stored_past_the_form(**fields) -> Suggestion:
    """A suggestion written straight to the database, as an old row or another path would, then analyzed."""
    suggestion = SuggestionFactory(title=ZWNJ * 12, body=ZWNJ * 40, **fields)
    with TestCase.captureOnCommitCallbacks(execute=True):
        analyze_suggestion(suggestion.pk)
    suggestion.refresh_from_db()
    return suggestion


@pytest.mark.django_db
def test_a_stored_invisible_suggestion_gets_no_theme_and_the_others_are_reclustered(caplog):
    for text in TEXTS:
        analyzed(text)
    blank = _stored_past_the_form()
    with caplog.at_level(logging.WARNING, logger="suggestions.pipeline"):
        result = pipeline.recluster()
    assert result["themes"] >= 2
    assert not ThemeMembership.objects.filter(suggestion=blank).exists()
    assert ThemeMembership.objects.count() == len(TEXTS)
    skipped = [record for record in caplog.records if str(blank.pk) in record.getMessage()]
    assert len(skipped) == 1
    # And it keeps working: the next re-clustering too, and a later suggestion still finds its theme.
    assert pipeline.recluster()["themes"] >= 2
    later = analyzed(IDEAS["masks"][0] + " همین حالا")
    assert ThemeMembership.objects.filter(suggestion=later).exists()


@pytest.mark.django_db
def test_an_invisible_suggestion_analyzed_after_a_reclustering_is_placed_in_no_theme():
    for text in TEXTS:
        analyzed(text)
    pipeline.recluster()
    blank = _stored_past_the_form()
    assert not ThemeMembership.objects.filter(suggestion=blank).exists()


@pytest.mark.django_db
def test_stored_e5_vectors_of_zeros_or_nan_do_not_stop_the_reclustering():
    suggestions = [analyzed(text) for text in TEXTS]
    rng = np.random.default_rng(1)
    for n, suggestion in enumerate(suggestions):
        vector = rng.normal(size=semantic.DIMENSIONS).astype(np.float32)
        vector /= np.linalg.norm(vector)
        if n == 0:
            vector[:] = np.nan
        elif n == 1:
            vector[:] = 0
        SuggestionEmbedding.objects.update_or_create(
            suggestion=suggestion,
            defaults={"state": SuggestionEmbedding.State.STORED, "vector": semantic.vector_to_bytes(vector)},
        )
    result = pipeline.recluster()
    assert result["themes"] >= 2
    assert ThemeMembership.objects.count() == len(TEXTS)


# The import --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_refuses_an_invisible_row_in_persian_and_imports_nothing(tmp_path):
    rows = [{"body": IDEAS["masks"][0]}, {"title": ZWNJ * 12, "body": ZWNJ * 40}, {"body": "؟! ..."}]
    source = tmp_path / "paper.jsonl"
    source.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    with pytest.raises(CommandError) as error:
        call_command("import_suggestions", str(source))
    message = str(error.value)
    assert "ردیف 2" in message and "ردیف 3" in message and "ردیف 1" not in message
    assert "نوشته‌ای ندارد" in message
    assert Suggestion.objects.count() == 0

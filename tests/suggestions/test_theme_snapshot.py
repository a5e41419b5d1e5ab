"""The theme snapshot is stored as numeric arrays and JSON with a format number, never as a pickle: a saved model
places texts exactly as the fitted one did, loading runs no stored code, and an older release's pickled snapshot
is refused with one log line and replaced by a re-clustering."""

import io
import json
import logging
import pickle

import numpy as np
import pytest
from django.test import TestCase

from suggestions import pipeline
from suggestions.analysis import LexicalVectorizer, engine, snapshot_format
from suggestions.caches import process_caches
from suggestions.models import SimilarSuggestion, Theme, ThemeMembership, ThemeSnapshot
from suggestions.tasks import recluster_themes_if_due
from tests.suggestions.ideas import IDEAS, analyzed

pytestmark = pytest.mark.django_db

NEWCOMERS = [
    "ماسک و دستکش رایگان در ورودی شعبه‌ها به مردم داده شود تا بیماری منتقل نشود.",
    "شمارش آرا به صورت زنده پخش شود.",
    "واژه‌ای که هیچ پیشنهادی نداشته است",
    "",
]

unpickled = []


class _Tripwire:
    """Unpickling this object calls `_record_unpickling`: a loader that ever unpickled a snapshot would say so."""

    def __reduce__(self):
        return (_record_unpickling, ())


def _record_unpickling():
    unpickled.append(True)
    return "unpickled"


def corpus():
    for bodies in IDEAS.values():
        for body in bodies:
            analyzed(body)


def test_a_snapshot_saved_and_loaded_places_texts_exactly_as_the_fitted_one():
    corpus()
    pipeline.recluster(n_themes=4)
    fitted = pipeline.current_snapshot()
    process_caches.reset()
    loaded = pipeline.current_snapshot()
    assert loaded is not fitted
    assert loaded.model.theme_ids == fitted.model.theme_ids
    assert loaded.model.labels == fitted.model.labels
    for texts in (NEWCOMERS, [body for bodies in IDEAS.values() for body in bodies]):
        assert (fitted.vectorizer.transform(texts) != loaded.vectorizer.transform(texts)).nnz == 0
        places = fitted.space.transform(texts), loaded.space.transform(texts)
        assert (places[0] != places[1]).nnz == 0
        assert fitted.model.assign_many(places[0]) == loaded.model.assign_many(places[1])
        assert np.array_equal(fitted.model.scores(places[0])[0], loaded.model.scores(places[1])[0])


def test_a_stored_snapshot_is_numeric_arrays_and_json_with_its_format():
    corpus()
    pipeline.recluster()
    row = ThemeSnapshot.objects.get()
    assert row.metadata["format"] == snapshot_format.FORMAT == 2
    json.dumps(row.metadata)  # plain JSON
    with np.load(io.BytesIO(bytes(row.arrays)), allow_pickle=False) as stored:
        kinds = {stored[name].dtype.kind for name in stored.files}
    assert kinds <= {"f", "i", "u", "b"}, "only numbers: strings are stored as UTF-8 bytes"


def test_loading_never_unpickles_even_an_array_that_holds_objects():
    corpus()
    pipeline.recluster()
    row = ThemeSnapshot.objects.get()
    with np.load(io.BytesIO(bytes(row.arrays)), allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    arrays["model.centroids"] = np.array([_Tripwire()], dtype=object)
    tampered = io.BytesIO()
    np.savez(tampered, **arrays)
    with pytest.raises(snapshot_format.UnreadableSnapshot):
        snapshot_format.loads(tampered.getvalue(), row.metadata)
    assert unpickled == []


def test_an_older_pickled_snapshot_is_refused_with_one_log_line_and_a_reclustering_replaces_it(caplog):
    corpus()
    # What the migration leaves of a snapshot an older release wrote: its pickle, and no metadata.
    ThemeSnapshot.objects.create(version=1, arrays=pickle.dumps((_Tripwire(), _Tripwire(), _Tripwire())))
    with caplog.at_level(logging.WARNING, logger="suggestions.pipeline"):
        assert pipeline.current_snapshot() is None
        newcomer = analyzed(NEWCOMERS[0])  # analyzed all the same, without a theme until the re-clustering
        assert pipeline.current_snapshot() is None
    refusals = [record for record in caplog.records if "refused" in record.getMessage()]
    assert len(refusals) == 1 and "snapshot 1" in refusals[0].getMessage()
    assert unpickled == []
    assert not ThemeMembership.objects.filter(suggestion=newcomer).exists()
    assert pipeline.recluster_is_due()

    with TestCase.captureOnCommitCallbacks(execute=True):
        result = recluster_themes_if_due()
    assert result["version"] == 2
    assert pipeline.current_snapshot().key[0] == 2
    assert ThemeMembership.objects.filter(suggestion=newcomer, theme__is_active=True).exists()
    assert not pipeline.recluster_is_due()
    later = analyzed(NEWCOMERS[1])
    assert Theme.objects.filter(memberships__suggestion=later, is_active=True).exists()


def test_a_damaged_snapshot_is_refused_like_an_old_one(caplog):
    corpus()
    pipeline.recluster()
    ThemeSnapshot.objects.filter(version=1).update(arrays=b"not an npz file")
    process_caches.reset()
    with caplog.at_level(logging.WARNING, logger="suggestions.pipeline"):
        assert pipeline.current_snapshot() is None
    assert "damaged" in caplog.text
    assert pipeline.recluster_is_due()


def test_a_snapshot_whose_lists_were_scored_with_character_ngrams_still_serves_until_the_next_reclustering(
    monkeypatch,
):
    corpus()
    # What a re-clustering stored before similar lists were scored on words alone.
    with monkeypatch.context() as before:
        before.setattr(engine, "list_vectorizer", lambda: LexicalVectorizer(chars=True))
        pipeline.recluster()
    process_caches.reset()
    assert pipeline.current_snapshot().vectorizer.use_chars
    newcomer = analyzed(NEWCOMERS[0])
    listed = SimilarSuggestion.objects.filter(suggestion=newcomer).values_list("other__body", flat=True)
    assert set(listed) & set(IDEAS["masks"])
    assert ThemeMembership.objects.filter(suggestion=newcomer, theme__is_active=True).exists()

    pipeline.recluster()
    assert not pipeline.current_snapshot().vectorizer.use_chars
    later = analyzed("ماسک و دستکش در شعبه‌ها رایگان باشد.")
    listed = SimilarSuggestion.objects.filter(suggestion=later).values_list("other__body", flat=True)
    assert set(listed) & set(IDEAS["masks"])

"""The worker's list re-ranked by meaning scores e5 cosines as the batch lists do: less the collection's mean."""

import numpy as np
import pytest
from django.test import TestCase

from suggestions import pipeline, semantic
from suggestions.analysis.corpus import centred_rows
from suggestions.models import SuggestionEmbedding
from suggestions.tasks import embed_suggestion
from tests.suggestions.ideas import IDEAS, analyzed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("e5_model")]


def test_the_meaning_half_of_a_workers_list_is_centred_on_the_latest_reclusterings_mean(eager_tasks, monkeypatch):
    for bodies in IDEAS.values():
        for body in bodies:
            analyzed(body)
    pipeline.recluster()
    mean = pipeline.current_snapshot().space.mean
    assert mean is not None

    seen = {}
    real = pipeline.mixed_scores

    def mixed_scores(words, meaning, overlaps, **options):
        seen.update(meaning)
        return real(words, meaning, overlaps, **options)

    monkeypatch.setattr(pipeline, "mixed_scores", mixed_scores)
    newcomer = analyzed("ساعت رأی‌گیری تا نیمه‌شب ادامه پیدا کند تا شعبه‌ها شلوغ نشوند.")
    with TestCase.captureOnCommitCallbacks(execute=True):
        embed_suggestion(newcomer.pk)

    stored = dict(SuggestionEmbedding.objects.values_list("suggestion_id", "vector"))
    own = semantic.vector_from_bytes(stored[newcomer.pk])
    assert seen
    for pk, score in seen.items():
        other = semantic.vector_from_bytes(stored[pk])
        centred, _ = centred_rows(np.vstack([own, other]), mean)
        assert score == pytest.approx(float(centred[0] @ centred[1]), abs=1e-3)

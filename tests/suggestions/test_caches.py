"""Everything a process keeps between requests lives in `process_caches`, and one reset forgets all of it."""

import pytest
from django.urls import reverse

from suggestions import pipeline, semantic
from suggestions.caches import process_caches
from suggestions.topic_cache import active_topics
from tests.suggestions.ideas import IDEAS, analyzed

pytestmark = pytest.mark.django_db


def test_one_reset_forgets_the_band_index_signatures_snapshot_pools_vectors_topics_and_blank_forms(client):
    for bodies in IDEAS.values():
        for body in bodies:
            analyzed(body)
    pipeline.recluster()
    pipeline.similar_to_text(IDEAS["masks"][0])  # the band index, the snapshot and a pool
    semantic.vector_index()
    active_topics()
    assert client.get(reverse("suggestions:suggest")).status_code == 200
    kept = {
        "band_index": process_caches.band_index,
        "signatures": process_caches.signatures,
        "snapshot": process_caches.snapshot,
        "pools": process_caches.pools,
        "vectors": process_caches.vectors,
        "topics": process_caches.topics,
        "blank_forms": process_caches.blank_forms,
    }
    assert all(kept.values()), [slot for slot, value in kept.items() if not value]

    process_caches.reset()

    assert not any(getattr(process_caches, slot) for slot in kept)
    assert pipeline.band_index() is not kept["band_index"]
    assert pipeline.current_snapshot().key == kept["snapshot"].key  # read again from the database


def test_saving_a_topic_forgets_only_the_topics():
    topics = active_topics()
    index = pipeline.band_index()
    topics[0].save()
    assert process_caches.topics is None
    assert pipeline.band_index() is index

"""A collection too large to search its similar lists again groups its ideas from the stored lists before its themes,
and clusters the themes over them, as the engine's collection step does: no idea is cut in two by a theme."""

import pytest

from suggestions import idea_sync, pipeline
from suggestions.analysis.engine import Engine
from suggestions.models import Suggestion
from tests.suggestions.ideas import IDEAS, analyzed

pytestmark = pytest.mark.django_db


def test_a_large_reclustering_clusters_its_themes_over_the_ideas_it_then_writes(monkeypatch):
    for bodies in IDEAS.values():
        for body in bodies:
            analyzed(body)
    analyzed(IDEAS["hours"][0])  # a copy: its group's members share one idea
    monkeypatch.setattr(pipeline, "LISTS_REMADE_LIMIT", 0)
    clustered_over = {}
    real_cluster = Engine.cluster

    def cluster(self, ids, *args, **options):
        clustered_over.update(zip(ids, options["ideas"], strict=True))
        return real_cluster(self, ids, *args, **options)

    monkeypatch.setattr(Engine, "cluster", cluster)
    pipeline.recluster()

    rows = list(Suggestion.objects.order_by("pk").values_list("pk", "duplicate_group__canonical_id", "proposal_key"))
    assert clustered_over == dict(
        zip(
            [pk for pk, _, _ in rows],
            idea_sync.stored_idea_keys(
                [pk for pk, _, _ in rows], [group or pk for pk, group, _ in rows], [key for _, _, key in rows]
            ),
            strict=True,
        )
    )
    idea_of = dict(Suggestion.objects.values_list("pk", "idea_id"))
    theme_of = dict(Suggestion.objects.values_list("pk", "theme_membership__theme_id"))
    for key in set(clustered_over.values()):
        members = [pk for pk, idea in clustered_over.items() if idea == key]
        assert len({idea_of[pk] for pk in members}) == 1
        assert len({theme_of[pk] for pk in members}) == 1

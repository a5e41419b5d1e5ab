"""The code says «analyze» everywhere: suggestions stored under the old spelling keep their state and their
time after the migration, and the migration runs back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from suggestions.choices import State
from suggestions.models import Suggestion
from tests.factories import SuggestionFactory

BEFORE = [("suggestions", "0010_ideas")]
AFTER = [("suggestions", "0011_analyzed_spelling")]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor


@pytest.mark.django_db(transaction=True)
def test_suggestions_stored_as_analysed_are_analyzed_after_the_migration(seeded_topics):
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    done, working, waiting = SuggestionFactory(), SuggestionFactory(), SuggestionFactory()
    moment = timezone.now().replace(microsecond=0)
    try:
        executor = _migrate(BEFORE)
        old = executor.loader.project_state(list(executor.loader.applied_migrations)).apps
        rows = old.get_model("suggestions", "Suggestion").objects
        rows.filter(pk=done.pk).update(state="analysed", analysed_at=moment)
        rows.filter(pk=working.pk).update(state="analysing")
        rows.filter(pk=waiting.pk).update(state="received")
    finally:
        _migrate(leaves)

    states = dict(Suggestion.objects.values_list("pk", "state"))
    assert (states[done.pk], states[working.pk], states[waiting.pk]) == ("analyzed", "analyzing", "received")
    assert Suggestion.objects.get(pk=done.pk).analyzed_at == moment


@pytest.mark.django_db(transaction=True)
def test_the_spelling_migration_runs_back_to_the_old_values(seeded_topics):
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    done = SuggestionFactory()
    Suggestion.objects.filter(pk=done.pk).update(state=State.ANALYZED)
    try:
        executor = _migrate(BEFORE)
        old = executor.loader.project_state(list(executor.loader.applied_migrations)).apps
        assert old.get_model("suggestions", "Suggestion").objects.get(pk=done.pk).state == "analysed"
    finally:
        _migrate(leaves)
    assert Suggestion.objects.get(pk=done.pk).state == State.ANALYZED

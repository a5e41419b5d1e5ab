import pytest

from benchmarks.eval_portal import refuse_unsafe_database, stored_results
from suggestions.models import SimilarSuggestion
from tests.suggestions.ideas import HOURS, IDEAS, analysed


def test_it_refuses_a_database_whose_name_does_not_say_eval():
    with pytest.raises(SystemExit, match="eval"):
        refuse_unsafe_database("postgres://postgres@127.0.0.1:5432/hamandishi")


def test_it_refuses_anything_but_postgresql():
    with pytest.raises(SystemExit, match="PostgreSQL"):
        refuse_unsafe_database("sqlite:////tmp/eval.sqlite3")


@pytest.mark.django_db
def test_stored_results_speak_in_dataset_ids():
    first = analysed(HOURS)
    copy = analysed(HOURS.replace("۲۴", "24"))
    other = analysed(IDEAS["masks"][0])
    SimilarSuggestion.objects.filter(suggestion=other).delete()
    SimilarSuggestion.objects.create(suggestion=other, other=first, score=0.5, rank=0)
    results = {r["id"]: r for r in stored_results({first.pk: "a", copy.pk: "b", other.pk: "c"})}
    assert results["a"]["duplicate_of"] is None
    assert results["b"]["duplicate_of"] == "a"
    assert results["c"]["similar"] == [["a", 0.5]]
    assert set(results["c"]) == {"id", "duplicate_of", "cluster", "cluster_label", "similar"}

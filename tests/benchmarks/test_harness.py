import json

import pytest

from benchmarks.harness.database import recreate_database, refuse_unsafe_database, sqlite_url
from benchmarks.harness.figures import percentile, report
from benchmarks.harness.results import stored_results
from tests.factories import AnalyzedSuggestionFactory, DuplicateGroupFactory, IdeaFactory


def test_it_refuses_a_database_whose_name_does_not_say_eval():
    with pytest.raises(SystemExit, match="eval"):
        refuse_unsafe_database("postgres://postgres@127.0.0.1:5432/hamandishi", marker="eval", postgres_only=True)


def test_it_refuses_anything_but_postgresql_when_postgresql_is_asked_for():
    with pytest.raises(SystemExit, match="PostgreSQL"):
        refuse_unsafe_database("sqlite:////tmp/eval.sqlite3", marker="eval", postgres_only=True)


def test_a_throw_away_sqlite_file_is_removed_with_its_journals(tmp_path):
    database = tmp_path / "intake_bench.sqlite3"
    for path in (database, tmp_path / "intake_bench.sqlite3-wal", tmp_path / "intake_bench.sqlite3-shm"):
        path.write_text("rows of an earlier run")
    assert recreate_database(sqlite_url(database)) == sqlite_url(database)
    assert list(tmp_path.iterdir()) == []


def test_a_database_not_named_for_a_benchmark_is_left_untouched(tmp_path):
    database = tmp_path / "hamandishi.sqlite3"
    database.write_text("a developer's suggestions")
    with pytest.raises(SystemExit, match="bench"):
        recreate_database(sqlite_url(database))
    assert database.read_text() == "a developer's suggestions"


def test_a_percentile_is_a_value_that_was_measured():
    latencies = [0.010, 0.020, 0.030, 0.040, 0.500]
    assert percentile(latencies, 0.5) == 0.030
    assert percentile(latencies, 0.99) == 0.500
    assert percentile(latencies, 0.0) == 0.010


def test_the_report_prints_every_figure_and_writes_the_same_figures_as_json(tmp_path, capsys):
    figures = {"submit": {"per_s": 250.9, "p99_ms": 65.0}, "steps": [{"clients": 2, "per_s": 304.2}], "lost": 0}
    report(figures, tmp_path / "figures.json", title="intake")
    printed = capsys.readouterr().out
    for line in ("submit", "per_s 250.9", "steps[0].clients", "steps[0].per_s", "lost"):
        assert line in printed
    assert json.loads((tmp_path / "figures.json").read_text()) == figures


@pytest.mark.django_db
def test_stored_results_speak_in_dataset_ids(seeded_topics):
    first = AnalyzedSuggestionFactory(body="پیشنهاد می‌کنم ساعت رأی‌گیری تا ساعت ۲۴ تمدید شود.")
    copy = AnalyzedSuggestionFactory(body="پیشنهاد می‌کنم ساعت رأی‌گیری تا ساعت 24 تمدید شود.")
    other = AnalyzedSuggestionFactory(body="ماسک برای همهٔ ناظران شعبه‌ها رایگان باشد.", similar=[first])
    DuplicateGroupFactory(members=[first, copy])
    results = {r["id"]: r for r in stored_results({first.pk: "a", copy.pk: "b", other.pk: "c"})}
    assert results["a"]["duplicate_of"] is None
    assert results["b"]["duplicate_of"] == "a"
    assert [item_id for item_id, _ in results["c"]["similar"]] == ["a"]
    assert set(results["c"]) == {"id", "duplicate_of", "idea", "cluster", "cluster_label", "similar"}


@pytest.mark.django_db
def test_stored_results_name_each_suggestions_idea_and_theme(seeded_topics):
    first, copy, other = AnalyzedSuggestionFactory(), AnalyzedSuggestionFactory(), AnalyzedSuggestionFactory()
    hours = IdeaFactory(members=[first, copy])
    masks = IdeaFactory(members=[other], theme=hours.theme)
    results = {r["id"]: r for r in stored_results({first.pk: "a", copy.pk: "b", other.pk: "c"})}
    assert results["a"]["idea"] == results["b"]["idea"] == f"i{hours.pk}"
    assert results["c"]["idea"] == f"i{masks.pk}"
    assert results["a"]["cluster"] == results["c"]["cluster"] == f"t{hours.theme_id}"
    assert results["a"]["cluster_label"] == hours.theme.label

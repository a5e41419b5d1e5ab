"""Portal path = batch path: the development set sent one text at a time through the real tasks, re-clustered
every ten as the beat does, gets the duplicate groups of analyze_file and its scores within 0.02."""

import json
import subprocess
import sys
from collections import defaultdict

import pytest
from django.test import TestCase

from suggestions.analysis import analyze_corpus
from suggestions.choices import Province, Role
from suggestions.models import SimilarSuggestion, Suggestion, ThemeMembership, Topic
from suggestions.services import submit_suggestion
from suggestions.tasks import analyze_suggestion, recluster_themes, recluster_themes_if_due
from tests.shared_data import DEV_SET, ROOT

pytestmark = pytest.mark.django_db

SCORER = ROOT.parent / "shared" / "eval" / "score.py"
BEAT_EVERY = 10
TITLE_WORDS = 8


def title_and_body(text: str) -> tuple[str, str]:
    """The first words as the title and the rest as the body, so that «title\\nbody» holds the file's words."""
    words = text.split()
    cut = min(TITLE_WORDS, max(1, len(words) // 2))
    return " ".join(words[:cut]), " ".join(words[cut:])


def through_the_portal(rows: list[dict], *, burst: int = 1) -> list[dict]:
    """Each row submitted and analyzed by the analysis task as a worker would, the beat's re-clustering every ten,
    and a last re-clustering; what the database then holds, in analyze_file's format. With `burst`, that many
    are submitted before the worker takes the first of them (and the rest waiting, as one batch)."""
    topic = Topic.objects.order_by("position", "pk").first() or Topic.objects.create(slug="eval", name="ارزیابی")
    dataset_id = {}
    submitted = []
    for number, row in enumerate(rows, start=1):
        title, body = title_and_body(row["text"])
        suggestion = submit_suggestion(
            role=Role.CITIZEN, province=Province.values[0], topic=topic, title=title, body=body
        )
        dataset_id[suggestion.pk] = row["id"]
        submitted.append(suggestion.pk)
        if len(submitted) < burst and number < len(rows):
            continue
        # The task as the worker runs it on delivery; its on-commit offers and band index entry run too. The e5
        # tier's message goes to a broker nobody reads, as when no worker consumes the semantic queue.
        for pk in submitted:
            with TestCase.captureOnCommitCallbacks(execute=True):
                analyze_suggestion(pk)
        submitted = []
        if number % BEAT_EVERY == 0:
            recluster_themes_if_due()
    recluster_themes()
    return stored_results(dataset_id)


def stored_results(dataset_id: dict[int, str]) -> list[dict]:
    canonical = dict(Suggestion.objects.values_list("pk", "duplicate_group__canonical_id"))
    themes = dict(ThemeMembership.objects.values_list("suggestion_id", "theme_id"))
    similar = defaultdict(list)
    rows = SimilarSuggestion.objects.order_by("suggestion_id", "rank").values_list("suggestion_id", "other_id", "score")
    for pk, other, score in rows:
        similar[pk].append([dataset_id[other], score])
    return [
        {
            "id": item_id,
            "duplicate_of": dataset_id[canonical[pk]] if canonical[pk] not in (None, pk) else None,
            "cluster": f"t{themes[pk]}" if pk in themes else None,
            "similar": similar[pk],
        }
        for pk, item_id in dataset_id.items()
    ]


def scores(labels: list[dict], results: list[dict], folder) -> dict:
    labels_path, results_path = folder / "labels.jsonl", folder / f"results-{id(results)}.jsonl"
    labels_path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in labels), encoding="utf-8")
    results_path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results), encoding="utf-8")
    printed = subprocess.run(
        [sys.executable, str(SCORER), str(labels_path), str(results_path)], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(printed.strip().splitlines()[-1])


def groups_of(results: list[dict]) -> set[frozenset]:
    members = defaultdict(set)
    for item in results:
        members[item["duplicate_of"] or item["id"]].add(item["id"])
    return {frozenset(group) for group in members.values()}


@pytest.mark.parametrize("burst", [1, BEAT_EVERY], ids=["one-at-a-time", "in-bursts"])
def test_the_dev_set_through_the_tasks_gets_the_groups_and_scores_of_analyze_file(tmp_path, burst, settings):
    if not DEV_SET.exists() or not SCORER.exists():
        pytest.skip(f"the development set or its scorer is not beside the checkout ({DEV_SET}, {SCORER})")
    rows = [json.loads(line) for line in DEV_SET.open(encoding="utf-8")]
    settings.ANALYSIS_BATCH_AFTER_SECONDS = 0  # a burst's first delivery finds the rest waiting, however soon
    batch = analyze_corpus([(r["id"], r["text"]) for r in rows], semantic=False)
    # The batch path's ideas are scored on their own; both paths are compared on what both write.
    batch = [{key: item[key] for key in ("id", "duplicate_of", "cluster", "similar")} for item in batch]
    portal = through_the_portal(rows, burst=burst)

    assert groups_of(portal) == groups_of(batch)
    batch_scores, portal_scores = scores(rows, batch, tmp_path), scores(rows, portal, tmp_path)
    for metric in ("merge_precision", "exact_recall", "idea_recall_at_5", "paraphrase_recall_at_5", "theme_nmi"):
        assert abs(portal_scores[metric] - batch_scores[metric]) <= 0.02, (metric, portal_scores, batch_scores)
    assert portal_scores["merge_precision"] == 1.0
    assert portal_scores["exact_recall"] == 1.0

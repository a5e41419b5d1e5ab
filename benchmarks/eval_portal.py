"""Score the portal path on a labelled JSONL set: what the site stores when the texts arrive one by one.

    flock /tmp/hamandishi-bench.lock .venv/bin/python benchmarks/eval_portal.py ../shared/data/dev_suggestions.jsonl \
        --out var/portal_out.jsonl [--no-semantic] [--beat-every N] [--database-url postgres://…/hamandishi_eval]

Each line ``{"id", "text", ...}`` is submitted in the file's order through ``services.submit_suggestion`` (title
the first words, body the rest, a topic, role and province), so the ``analyze_suggestion`` task analyzes it and the
``embed_suggestion`` task embeds it and re-ranks its similar list as it arrives. Then ``recluster_themes`` groups
the collection with the number of themes chosen automatically. What the database then holds (duplicate groups,
theme memberships, similar rows) is written in ``analyze_file``'s format and scored by the shared scorer, beside
the seconds per suggestion that analysis and embedding took. ``benchmarks/eval_dev.py`` scores the batch path
(``analyze_corpus``) on the same set.

Celery runs eagerly (CELERY_TASK_ALWAYS_EAGER): the real task code runs in this process, in the order a worker
would run it, without a broker. That measures quality, not the concurrency of workers or queues.

- ``--no-semantic``: the ``embed_suggestion`` task is enqueued to nowhere, as when no worker consumes the
  semantic queue; the similar lists are the lexical ones.
- ``--beat-every N``: after every N submissions, run ``recluster_themes_if_due`` as the beat does, so later
  suggestions meet a theme snapshot (nearest theme, lexical neighbours) as in a running portal.

The run never touches the developer's database or Redis: a temporary SQLite file by default, or with
``--database-url`` a PostgreSQL database whose name contains "eval" (it is migrated and emptied first);
REDIS_URL is unset, so the cache and the band index live in this process; ``.env`` is not read.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.harness.database import refuse_unsafe_database  # noqa: E402
from benchmarks.harness.results import stored_results  # noqa: E402

TITLE_WORDS = 8


def configure_django(database_url: str) -> None:
    """Settings from this run only: the developer's .env (DATABASE_URL, REDIS_URL) must not leak in."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    os.environ["DJANGO_READ_DOT_ENV"] = "false"
    os.environ["DJANGO_DEBUG"] = "true"
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = ""  # local-memory cache and an in-process band index
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from portal.celery import app

    app.conf.task_always_eager = True
    # Nothing is published when eager; should anything be, it never reaches the developer's broker.
    app.conf.broker_url = "memory://localhost/"


class TaskClock:
    """Seconds each task spent on its own work, measured by Celery's task signals. The embedding task runs
    inside the analysis task (its on-commit enqueue fires at once), so a task's time excludes nested ones."""

    def __init__(self):
        self.seconds: dict[str, list[float]] = defaultdict(list)
        self._stack: list[list] = []

    def connect(self) -> None:
        from celery.signals import task_postrun, task_prerun

        task_prerun.connect(self._started, weak=False)
        task_postrun.connect(self._finished, weak=False)

    def _started(self, task=None, **kwargs) -> None:
        self._stack.append([task.name, time.perf_counter(), 0.0])

    def _finished(self, task=None, **kwargs) -> None:
        name, started, nested = self._stack.pop()
        elapsed = time.perf_counter() - started
        self.seconds[name].append(elapsed - nested)
        if self._stack:
            self._stack[-1][2] += elapsed

    def summary(self, name: str) -> dict | None:
        values = self.seconds.get(name)
        if not values:
            return None
        return {
            "tasks": len(values),
            "mean_s": round(statistics.fmean(values), 4),
            "median_s": round(statistics.median(values), 4),
            "max_s": round(max(values), 3),
            "total_s": round(sum(values), 1),
        }


def title_and_body(text: str) -> tuple[str, str]:
    """The text's first words as the title and the rest as the body: the portal analyzes «title\\nbody», so it
    reads the same words as analyze_file does, not the first words twice."""
    words = text.split()
    cut = min(TITLE_WORDS, max(1, len(words) // 2))  # a short text is split in two halves
    return " ".join(words[:cut])[:150], " ".join(words[cut:])


def submit_all(rows: list[dict], *, beat_every: int) -> dict[int, str]:
    """Submit every row as a citizen would; returns the dataset id of each stored suggestion."""
    from suggestions.choices import Province, Role
    from suggestions.models import Topic
    from suggestions.services import submit_suggestion
    from suggestions.tasks import recluster_themes_if_due

    topic = Topic.objects.order_by("position", "pk").first()
    if topic is None:
        topic = Topic.objects.create(slug="eval", name="ارزیابی")
    provinces = list(Province.values)
    dataset_id = {}
    for number, row in enumerate(rows, start=1):
        title, body = title_and_body(row["text"])
        suggestion = submit_suggestion(
            role=Role.CITIZEN,
            province=provinces[number % len(provinces)],
            topic=topic,
            title=title,
            body=body,
        )
        dataset_id[suggestion.pk] = row["id"]
        if beat_every and number % beat_every == 0:
            recluster_themes_if_due.apply_async()
    return dataset_id


def processing_counts() -> dict:
    from django.db.models import Count

    from suggestions.models import Suggestion, SuggestionEmbedding

    states = dict(Suggestion.objects.values_list("state").annotate(n=Count("pk")))
    vectors = dict(SuggestionEmbedding.objects.values_list("state").annotate(n=Count("pk")))
    return {"suggestions": states, "vectors": vectors}


def score(labels: Path, out: Path, scorer: Path) -> dict:
    printed = subprocess.run(
        [sys.executable, str(scorer), str(labels), str(out)], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(printed.strip().splitlines()[-1])


def run(args: argparse.Namespace, database_url: str) -> None:
    configure_django(database_url)
    from django.core.management import call_command

    from suggestions import services
    from suggestions.tasks import recluster_themes

    call_command("migrate", verbosity=0)
    if args.database_url:
        # A previous run's rows (and the seeded topics, which submit_all makes again); the name says eval.
        call_command("flush", interactive=False, verbosity=0)
    if args.no_semantic:
        # As when no worker consumes the semantic queue: the task is queued and never runs.
        services.enqueue_embedding = lambda suggestion_id: True
    clock = TaskClock()
    clock.connect()

    rows = [json.loads(line) for line in args.labels.open(encoding="utf-8") if line.strip()]
    started = time.perf_counter()
    dataset_id = submit_all(rows, beat_every=args.beat_every)
    submitted = time.perf_counter() - started
    started = time.perf_counter()
    recluster = recluster_themes.apply_async(kwargs={"n_themes": args.n_themes}).get()
    reclustered = time.perf_counter() - started

    results = stored_results(dataset_id)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results), encoding="utf-8")
    print(json.dumps(score(args.labels, args.out, args.scorer)))
    print(
        json.dumps(
            {
                "path": "portal",
                "semantic": not args.no_semantic,
                "beat_every": args.beat_every,
                "submitted": len(rows),
                "submit_loop_s": round(submitted, 1),
                "analysis": clock.summary("suggestions.analyze_suggestion"),
                "embedding": clock.summary("suggestions.embed_suggestion"),
                "beat_reclusterings": recluster.get("version", 1) - 1,
                "recluster": {**recluster, "seconds": round(reclustered, 2)},
                "states": processing_counts(),
            },
            ensure_ascii=False,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("labels", type=Path)
    parser.add_argument("--out", type=Path, default=Path("var/portal_out.jsonl"))
    parser.add_argument("--no-semantic", action="store_true", help="never run the embed_suggestion task")
    parser.add_argument("--beat-every", type=int, default=0, help="run recluster_themes_if_due every N submissions")
    parser.add_argument("--n-themes", type=int, default=None, help="themes of the final re-clustering (default: auto)")
    parser.add_argument("--database-url", default="", help="a PostgreSQL database whose name contains 'eval'")
    parser.add_argument("--scorer", type=Path, default=ROOT.parent / "shared/eval/score.py")
    args = parser.parse_args()
    args.labels = args.labels.resolve()
    args.out = args.out.resolve()

    if args.database_url:
        refuse_unsafe_database(args.database_url, marker="eval", postgres_only=True)
        run(args, args.database_url)
        return
    with tempfile.TemporaryDirectory(prefix="hamandishi-eval-") as folder:
        run(args, f"sqlite:///{Path(folder) / 'eval.sqlite3'}")


if __name__ == "__main__":
    main()

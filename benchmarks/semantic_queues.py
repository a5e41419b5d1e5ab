"""Analysis latency while a backlog of e5 vectors waits, by how the workers consume the two queues.

    flock /tmp/hamandishi-bench.lock .venv/bin/python benchmarks/semantic_queues.py none    # no vector worker
    flock /tmp/hamandishi-bench.lock .venv/bin/python benchmarks/semantic_queues.py shared  # one worker -c 2, both
    flock /tmp/hamandishi-bench.lock .venv/bin/python benchmarks/semantic_queues.py apart   # as `serve` runs them

Starts a private redis-server and a throw-away SQLite database, queues --backlog vectors, starts the workers, then
submits --submissions suggestions two a second and prints the analysis latency (enqueue to analyzed) as a table
(`--json PATH` writes it as JSON).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.harness.broker import start_private_redis  # noqa: E402
from benchmarks.harness.corpus import generate  # noqa: E402
from benchmarks.harness.database import recreate_database, sqlite_url  # noqa: E402
from benchmarks.harness.figures import add_json_option, percentile, report  # noqa: E402
from benchmarks.harness.portal import Worker, manage, portal_env, setup_django, start_portal  # noqa: E402
from benchmarks.harness.processes import Stack  # noqa: E402

CONFIGS = {
    "none": [Worker("worker", concurrency=2, queues="celery")],
    "shared": [Worker("worker", concurrency=2, queues="celery,semantic")],
    "apart": [
        Worker("worker", concurrency=2, queues="celery"),
        Worker("semantic", concurrency=1, queues="semantic", nice=19, threads=1),
    ],
}


def run(args, stack: Stack) -> dict:
    redis = start_private_redis(stack)
    database = recreate_database(sqlite_url(stack.logdir / "semantic_queues_bench.sqlite3"))
    env = portal_env(database_url=database, redis_url=redis.url, DJANGO_SETTINGS_MODULE="portal.settings")
    manage(env, "migrate", "-v0")
    setup_django(env)
    from django.utils import timezone

    from suggestions.choices import State
    from suggestions.models import Suggestion, SuggestionEmbedding, Topic
    from suggestions.services import enqueue_analysis, enqueue_embedding

    texts = [item.text for item in generate(400, seed=5) if item.kind == "original"]
    topic = Topic.objects.first()
    fields = {"role": "citizen", "province": "tehran", "topic": topic, "title": "پیشنهاد"}
    for n, text in enumerate(texts[: args.backlog]):
        waiting = Suggestion.objects.create(
            tracking_code=f"B{n:08d}",
            body=text,
            normalized_text=text,
            state=State.ANALYZED,
            analyzed_at=timezone.now(),
            **fields,
        )
        enqueue_embedding(waiting.pk)
    start_portal(stack, env, web=None, workers=CONFIGS[args.config])
    time.sleep(8)  # the workers start and begin on the backlog
    sent = {}
    for n, text in enumerate(texts[args.backlog : args.backlog + args.submissions]):
        suggestion = Suggestion.objects.create(tracking_code=f"F{n:08d}", body=text, **fields)
        sent[suggestion.pk] = timezone.now()
        enqueue_analysis(suggestion.pk)
        time.sleep(0.5)
    deadline = time.time() + 120
    analyzed = Suggestion.objects.filter(pk__in=sent, state=State.ANALYZED)
    while time.time() < deadline and analyzed.count() < len(sent):
        stack.check_alive()
        time.sleep(0.5)
    done = dict(analyzed.values_list("pk", "analyzed_at"))
    latency = sorted((done[pk] - sent[pk]).total_seconds() * 1000 for pk in done)
    return {
        "config": args.config,
        "analyzed": len(latency),
        "of": len(sent),
        "p50_ms": round(statistics.median(latency)) if latency else None,
        "p95_ms": round(percentile(latency, 0.95)) if latency else None,
        "max_ms": round(latency[-1]) if latency else None,
        "vectors_stored": SuggestionEmbedding.objects.filter(state=SuggestionEmbedding.State.STORED).count(),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", nargs="?", choices=sorted(CONFIGS), default="apart")
    parser.add_argument("--backlog", type=int, default=200, help="vectors waiting when the submissions begin")
    parser.add_argument("--submissions", type=int, default=40, help="suggestions submitted two a second")
    add_json_option(parser)
    args = parser.parse_args(argv)
    with Stack(f"semantic-queues-{args.config}") as stack:
        figures = run(args, stack)
    report(figures, args.json, title="analysis latency with a vector backlog")
    return 0 if figures["analyzed"] == figures["of"] else 1


if __name__ == "__main__":
    sys.exit(main())

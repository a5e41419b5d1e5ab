"""Per-suggestion analysis on a worker with N suggestions stored (PostgreSQL and Redis), without the e5 tier.

    flock /tmp/hamandishi-bench.lock .venv/bin/python benchmarks/worker_latency.py                 # 100,000 stored
    flock /tmp/hamandishi-bench.lock .venv/bin/python benchmarks/worker_latency.py --size 5000 --profile
    flock /tmp/hamandishi-bench.lock .venv/bin/python benchmarks/worker_latency.py --keep           # reuse the rows
    flock /tmp/hamandishi-bench.lock .venv/bin/python benchmarks/worker_latency.py --keep --waiting 256 --count 1280

What it does, in order:
1. drops and recreates a dedicated PostgreSQL database (default `hamandishi_bench_latency`, its name must contain
   "bench"), migrates it and fills it with COPY: N analyzed suggestions whose display forms are Persian texts
   from `benchmarks/generate.py` (through `benchmarks/review_queue.py`'s text pool), each with its match form,
   fingerprint and MinHash signature, copies of one text in duplicate groups; the band index is then built from
   them in a redis-server of the run's own (`benchmarks.harness.broker`), so the machine's Redis is never touched;
2. re-clusters once (`pipeline.recluster`, as the beat does), so that later suggestions meet a theme snapshot;
3. submits --count new suggestions (each a fresh text, one in five a respelled copy of a stored one) and runs the
   `analyze_suggestion` task on each, in this process, one after another as one worker process does: claim,
   engine, writes, commit, and the offers to earlier lists that follow the commit. The e5 tier's message is not
   sent (``--no-semantic`` is the only mode): the target is without it. The first --warmup tasks fill the band
   index, the snapshot and the theme pools, and are not counted.

It prints the median, p90, p99 and maximum of the task's wall time in milliseconds against the targets (median
≤ 5 ms, p99 ≤ 50 ms with 100,000 stored), and with --profile the functions where the time went and the SQL
statements each task sent, by kind (the claim, the analysis's transaction and the offers after it). The intake
keep-pace figure (one worker process at ≥ 150 accepted/s) is `benchmarks/intake.py --worker-concurrency 1`'s
«drained» line; this script does not start gunicorn.

With --waiting N (at most ANALYSIS_BATCH), N suggestions are submitted before each task, which analyzes them as one
batch, as a worker does with a backlog; it prints the task's time over N, the cost per suggestion when a queue has
formed, and the task's time.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MEDIAN_MS = 5.0
TARGET_P99_MS = 50.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000, help="analyzed suggestions stored first")
    parser.add_argument("--count", type=int, default=600, help="suggestions analyzed and timed")
    parser.add_argument("--warmup", type=int, default=50, help="first analyses not counted")
    parser.add_argument("--keep", action="store_true", help="reuse the rows and snapshot of an earlier run")
    parser.add_argument("--profile", action="store_true", help="print where the analyses spent their time")
    parser.add_argument(
        "--waiting",
        type=int,
        default=1,
        help="suggestions waiting when the task runs: above 1, each task analyzes them as one batch",
    )
    parser.add_argument("--database", default="hamandishi_bench_latency")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--user", default="postgres")
    parser.add_argument("--seed", type=int, default=1405)
    args = parser.parse_args()
    if "bench" not in args.database:
        parser.error("--database must contain 'bench': this run drops it")
    return args


def build(args) -> None:
    """N analyzed suggestions with every stored form the analysis reads, by COPY."""
    import psycopg
    from django.core.management import call_command
    from django.db import connection

    from benchmarks.harness.corpus import form_texts
    from benchmarks.review_queue import SUGGESTION_COLUMNS, _iso, copy_duplicate_groups, recreate_database
    from suggestions import analysis

    started = time.perf_counter()
    recreate_database(args)
    call_command("migrate", verbosity=0)
    connection.close()
    rng = random.Random(args.seed)
    made = list(dict.fromkeys(form_texts(min(args.size, 20_000 + args.size // 10), seed=args.seed)))
    pool = [analysis.display_form(f"{title}\n{body}") for title, body in made]
    matches = [analysis.match_form(d) for d in pool]
    fingerprints = [analysis.fingerprint(d) for d in pool]
    signatures = [analysis.signature_to_bytes(analysis.signature(d)) for d in pool]
    print(f"migrated and made {len(pool):,} texts in {time.perf_counter() - started:.0f} s", flush=True)

    text_of, group_of, groups, pk = [0] * (args.size + 1), {}, [], 1
    used = set()
    while pk <= args.size:
        size = min(rng.choice([1, 1, 1, 1, 1, 1, 2, 3]), args.size - pk + 1)
        text = rng.randrange(len(pool))
        if text in used:  # one group per text, as the analysis would make
            size = 1
        used.add(text)
        if size > 1:
            groups.append((len(groups) + 1, "exact", pk, size))
        for member in range(pk, pk + size):
            text_of[member] = text
            if size > 1:
                group_of[member] = len(groups)
        pk += size
    columns = SUGGESTION_COLUMNS + ", signature, idea_by_reviewer"
    now, span = time.time(), 120 * 24 * 3600
    with psycopg.connect(f"host={args.host} user={args.user} dbname={args.database}") as pg:
        cursor = pg.cursor()
        topic = cursor.execute("SELECT min(id) FROM suggestions_topic").fetchone()[0]
        copy_duplicate_groups(cursor, groups, moment_of=lambda pk: now - span + span * pk / args.size)
        with cursor.copy(f"COPY suggestions_suggestion ({columns}) FROM STDIN") as copy:
            for pk in range(1, args.size + 1):
                text, gid = text_of[pk], group_of.get(pk)
                moment = _iso(now - span + span * pk / args.size)
                copy.write_row(
                    (pk, f"L{pk:015d}", "citizen", "tehran", topic, made[text][0], made[text][1], pool[text])
                    + (matches[text], fingerprints[text], gid, 1.0 if gid else None, "analyzed", 1, "", "", "bench")
                    + (moment, moment, moment, moment, False, signatures[text], False)
                )
        for table in ("suggestions_suggestion", "suggestions_duplicategroup"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        pg.commit()
        pg.autocommit = True
        cursor.execute("VACUUM ANALYZE")
    print(f"copied {args.size:,} suggestions in {time.perf_counter() - started:.0f} s", flush=True)


def new_texts(args, count: int) -> list[tuple[str, str]]:
    """Fresh texts, and one in five a respelled copy of a stored one (which then joins its group)."""
    from benchmarks.harness.corpus import form_texts
    from suggestions.models import Suggestion

    fresh = form_texts(count * 2, seed=args.seed + 7)[:count]
    stored = list(Suggestion.objects.order_by("?").values_list("title", "body")[: count // 5 + 1])
    for n in range(0, len(fresh), 5):
        title, body = stored[n // 5]
        fresh[n] = (title, body.replace("ی", "ي").replace("ک", "ك"))
    return fresh


def main() -> None:
    args = parse_args()
    from benchmarks.harness.broker import start_private_redis
    from benchmarks.harness.processes import Stack

    with Stack("worker-latency") as stack:
        args.redis = start_private_redis(stack).url  # the machine's Redis is never flushed nor touched
        measure(args)


def measure(args) -> None:
    from benchmarks.review_queue import setup_django

    setup_django(args)
    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from suggestions import services
    from suggestions.caches import process_caches
    from suggestions.choices import Province, Role
    from suggestions.models import Suggestion, ThemeSnapshot, Topic
    from suggestions.pipeline import band_index, recluster
    from suggestions.tasks import analyze_suggestion

    if not args.keep:
        build(args)
    # A worker runs with DEBUG off: no statement is logged (setup_django turns it on for the static files).
    settings.DEBUG = False
    process_caches.reset()
    started = time.perf_counter()
    band_index().ensure_built() if settings.REDIS_URL else None
    print(f"band index ready in {time.perf_counter() - started:.0f} s", flush=True)
    if not args.keep or not ThemeSnapshot.objects.exists():
        started = time.perf_counter()
        result = recluster()
        print(f"re-clustered in {time.perf_counter() - started:.0f} s: {result}", flush=True)

    # The target is without the e5 tier: its messages are not recorded nor sent.
    services.enqueue_embedding = lambda suggestion_id: True
    services.enqueue_embeddings = lambda suggestion_ids: len(suggestion_ids)
    services.enqueue_analysis = lambda suggestion_id: True  # the task is run below, in this process
    topic = Topic.objects.order_by("pk").first()
    stored = Suggestion.objects.count()
    if args.waiting > 1:
        in_batches(args, topic, stored)
        return
    seconds = []
    statements: list[list[str]] = []  # each profiled task's SQL, counted by kind below
    profiler = None
    for number, (title, body) in enumerate(new_texts(args, args.count + args.warmup)):
        suggestion = services.submit_suggestion(
            role=Role.CITIZEN, province=Province.values[0], topic=topic, title=title, body=body
        )
        if number == args.warmup and args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        begun = time.perf_counter()
        if profiler is not None:
            reset_queries()  # the log keeps 9,000 statements: a capture across its limit counts wrong
            with CaptureQueriesContext(connection) as captured:
                analyze_suggestion(suggestion.pk)
            statements.append([query["sql"] for query in captured.captured_queries])
        else:
            analyze_suggestion(suggestion.pk)
        if number >= args.warmup:
            seconds.append(time.perf_counter() - begun)
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
        kinds = Counter(sql.split(None, 1)[0].upper() for task in statements for sql in task)
        per_task = {kind: round(count / len(statements), 2) for kind, count in kinds.most_common()}
        print(f"SQL statements per task: {sum(map(len, statements)) / len(statements):.2f} {per_task}")
    ms = sorted(1000 * s for s in seconds)
    figures = {
        "stored": stored,
        "analyzed": len(ms),
        "median_ms": round(statistics.median(ms), 2),
        "p90_ms": round(ms[int(0.9 * (len(ms) - 1))], 2),
        "p99_ms": round(ms[int(0.99 * (len(ms) - 1))], 2),
        "max_ms": round(ms[-1], 1),
        "targets": {"median_ms": TARGET_MEDIAN_MS, "p99_ms": TARGET_P99_MS},
        "load_1min": round(os.getloadavg()[0], 2),  # the machine is shared: the figures move with it
    }
    print(
        f"per-suggestion analysis with {stored:,} stored: median {figures['median_ms']} ms "
        f"(target ≤ {TARGET_MEDIAN_MS}), p99 {figures['p99_ms']} ms (target ≤ {TARGET_P99_MS}), "
        f"max {figures['max_ms']} ms"
    )
    print(json.dumps(figures))


def in_batches(args, topic, stored: int) -> None:
    """--waiting N: N suggestions submitted, then one task, which analyzes them as one batch (as a worker does with
    a backlog), --count // N times after --warmup // N untimed (at least one); the cost per suggestion is the task's
    time over N."""
    from django.conf import settings

    from suggestions import services
    from suggestions.choices import Province, Role, State
    from suggestions.models import Suggestion
    from suggestions.tasks import analyze_suggestion

    if args.waiting > settings.ANALYSIS_BATCH:
        raise SystemExit(f"--waiting is at most ANALYSIS_BATCH ({settings.ANALYSIS_BATCH})")
    settings.ANALYSIS_BATCH_AFTER_SECONDS = 0  # each of them has waited: the task takes the others with it
    warmup, batches = max(1, args.warmup // args.waiting), args.count // args.waiting
    texts = iter(new_texts(args, (warmup + batches) * args.waiting))
    per_suggestion, batch_seconds = [], []
    for number in range(warmup + batches):
        pks = [
            services.submit_suggestion(
                role=Role.CITIZEN, province=Province.values[0], topic=topic, title=title, body=body
            ).pk
            for title, body in itertools.islice(texts, args.waiting)
        ]
        begun = time.perf_counter()
        analyze_suggestion(pks[0])
        elapsed = time.perf_counter() - begun
        analyzed = Suggestion.objects.filter(pk__in=pks, state=State.ANALYZED).count()
        if analyzed != len(pks):
            raise SystemExit(f"a task analyzed {analyzed} of the {len(pks)} waiting suggestions")
        if number >= warmup:
            per_suggestion.append(1000 * elapsed / len(pks))
            batch_seconds.append(elapsed)
    ms = sorted(per_suggestion)
    figures = {
        "stored": stored,
        "waiting": args.waiting,
        "batches": len(ms),
        "median_ms_per_suggestion": round(statistics.median(ms), 2),
        "max_ms_per_suggestion": round(ms[-1], 2),
        "median_batch_s": round(statistics.median(batch_seconds), 3),
        "load_1min": round(os.getloadavg()[0], 2),
    }
    print(
        f"a task with {args.waiting} suggestions waiting, {stored:,} stored: "
        f"median {figures['median_ms_per_suggestion']} ms per suggestion (max {figures['max_ms_per_suggestion']}), "
        f"{figures['median_batch_s']} s per task"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

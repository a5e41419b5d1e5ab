"""Portal re-clustering benchmark: `suggestions.pipeline.recluster()` end to end on PostgreSQL.

    flock /tmp/hamandishi-bench.lock .venv/bin/python benchmarks/recluster_portal.py                  # 100,000
    flock /tmp/hamandishi-bench.lock .venv/bin/python benchmarks/recluster_portal.py --size 1000000
    flock /tmp/hamandishi-bench.lock .venv/bin/python benchmarks/recluster_portal.py --size 1000000 --keep
    flock /tmp/hamandishi-bench.lock .venv/bin/python benchmarks/recluster_portal.py --vectors          # with e5
    flock /tmp/hamandishi-bench.lock .venv/bin/python benchmarks/recluster_portal.py --keep --profile   # where it goes

`benchmarks/analysis.py` times the library's clustering alone; this times what the Celery task
`recluster_themes` does around it: reading every analyzed suggestion; up to 20,000 (LISTS_REMADE_LIMIT) searching
every similar list again, above it grouping ideas from the stored lists; fitting the vectorisers, clustering over
the ideas, matching the old themes, writing the themes, ideas and every machine membership, recounting sizes and
storing the snapshot (arrays and JSON), in one transaction.

What it does, in order:
1. drops and recreates a dedicated PostgreSQL database (default `hamandishi_bench_recluster`), migrates it and
   fills it with COPY: N analyzed suggestions whose stored display forms are Persian texts from the harness's
   corpus (`benchmarks.harness.bulk.texts`), duplicate groups (pairs to fours,
   and a few campaigns of hundreds), and similar lists (five rows, ranks 0-4) for 60 % of them, some pairs
   each other's best; with `--vectors`, a stored e5-like vector for each (the portal clusters with them up to
   100,000 suggestions, as when the semantic worker keeps up). `--keep` reuses what an earlier run stored and
   only clears the themes;
2. runs `recluster()` with no themes yet, in a process of its own, so its peak RSS (`ru_maxrss`) is its own;
3. pins 0.2 % of the suggestions to a theme as a reviewer would, and renames a theme;
4. runs `recluster()` again in a fresh process, continuing the old themes as the beat schedule does.

For each run it prints the wall time of each stage the task reports through its `progress` callback (reading
covers the query for every analyzed suggestion, up to the «vectorising» report), the total, the peak RSS, the
number of themes and the rows written, then a table of the figures (`--json PATH` writes them as JSON). The
targets: 100,000 under 30 s, 1,000,000 under 5 minutes, peak under 4 GB. PostgreSQL's own memory is not in the
figure.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.harness.bulk import SUGGESTION_COLUMNS, copy_duplicate_groups, iso, texts  # noqa: E402
from benchmarks.harness.database import recreate_database  # noqa: E402
from benchmarks.harness.figures import add_json_option, report, write_json  # noqa: E402
from benchmarks.harness.memory import peak_rss_mb  # noqa: E402
from benchmarks.harness.portal import portal_env, setup_django  # noqa: E402

TARGET_SECONDS = {100_000: 30, 1_000_000: 300}
TARGET_PEAK_MB = 4096
SIMILAR_SHARE = 0.6  # suggestions with a similar list
PINNED_SHARE = 0.002  # suggestions a reviewer placed by hand before the second run


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000, help="analyzed suggestions")
    parser.add_argument("--keep", action="store_true", help="reuse the suggestions of an earlier run")
    parser.add_argument(
        "--vectors",
        action="store_true",
        help="store an e5-like vector for every suggestion, which the portal clusters with up to 100,000",
    )
    parser.add_argument("--database", default="hamandishi_bench_recluster")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--user", default="postgres")
    parser.add_argument("--seed", type=int, default=1405)
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the first run and print where its time went (slower)"
    )
    parser.add_argument("--run", choices=["first", "second"], help=argparse.SUPPRESS)
    add_json_option(parser)
    args = parser.parse_args()
    args.database_url = f"postgres://{args.user}@{args.host}:5432/{args.database}"
    return args


def setup(args):
    # The re-clustering itself never touches Redis: no REDIS_URL, so the cache lives in this process.
    env = portal_env(database_url=args.database_url, redis_url=None, DJANGO_DEBUG="true")
    setup_django({**env, "DJANGO_SETTINGS_MODULE": "portal.settings"})


# ---------------------------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------------------------


def build(args):
    import psycopg
    from django.core.management import call_command
    from django.db import connection

    from suggestions.analysis import display_form

    started = time.perf_counter()
    recreate_database(args.database_url)
    call_command("migrate", verbosity=0)
    connection.close()
    rng = random.Random(args.seed)
    pool = [display_form(f"{title}\n{body}") for title, body, _ in texts(rng, min(args.size, 20_000 + args.size // 10))]
    print(f"migrated and made {len(pool):,} display forms in {time.perf_counter() - started:.0f} s", flush=True)

    # Duplicate groups: consecutive ids share a text, as copies of one idea do.
    text_of, group_of, groups = [0] * (args.size + 1), {}, []
    pk = 1
    while pk <= args.size:
        roll = rng.random()
        size = rng.randint(150, 600) if roll < 0.0004 else rng.choice([2, 2, 2, 3, 4]) if roll < 0.06 else 1
        size = min(size, args.size - pk + 1)
        text = rng.randrange(len(pool))
        if size > 1:
            groups.append((len(groups) + 1, "campaign" if size > 100 else "exact", pk, size))
        for member in range(pk, pk + size):
            text_of[member] = text
            if size > 1:
                group_of[member] = len(groups)
        pk += size

    now = time.time()
    span = 120 * 24 * 3600
    with psycopg.connect(f"host={args.host} user={args.user} dbname={args.database}") as pg:
        cursor = pg.cursor()
        topic = cursor.execute("SELECT min(id) FROM suggestions_topic").fetchone()[0]
        copy_duplicate_groups(cursor, groups, moment_of=lambda pk: now - span + span * pk / args.size)
        with cursor.copy(f"COPY suggestions_suggestion ({SUGGESTION_COLUMNS}, idea_by_reviewer) FROM STDIN") as copy:
            for pk in range(1, args.size + 1):
                display = pool[text_of[pk]]
                moment = iso(now - span + span * pk / args.size)
                gid = group_of.get(pk)
                copy.write_row(
                    (pk, f"R{pk:015d}", "citizen", "tehran", topic, display[:140], display, display, "", "")
                    + (gid, 0.95 if gid else None, "analyzed", 1, "", "", "bench", moment, moment, moment, moment)
                    + (False, False)
                )
        print(f"copied {args.size:,} suggestions in {time.perf_counter() - started:.0f} s", flush=True)

        # Similar lists: five neighbours from nearby ids; a quarter of the lists name, first, one whose own
        # list names them first back (a paraphrase pair, which group_ideas joins as mutual closest).
        listed = rng.sample(range(1, args.size + 1), int(args.size * SIMILAR_SHARE))
        first_of = {}
        for pk in listed:
            if pk in first_of:
                continue
            partner = min(args.size, max(1, pk + rng.randint(-500, 500)))
            if partner != pk and partner not in first_of and rng.random() < 0.25:
                first_of[pk], first_of[partner] = partner, pk
            else:
                first_of[pk] = partner
        rows = 0
        with cursor.copy(
            "COPY suggestions_similarsuggestion (suggestion_id, other_id, score, rank) FROM STDIN"
        ) as copy:
            for pk in listed:
                others = dict.fromkeys([first_of[pk], *(rng.randint(1, args.size) for _ in range(6))])
                others.pop(pk, None)
                for rank, other in enumerate(list(others)[:5]):
                    copy.write_row((pk, other, round(0.6 - rank * 0.05, 2), rank))
                    rows += 1
        if args.vectors:
            store_vectors(cursor, rng, text_of[1:], len(pool))
            print(f"stored {args.size:,} vectors in {time.perf_counter() - started:.0f} s", flush=True)
        for table in ("suggestions_suggestion", "suggestions_duplicategroup"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        pg.commit()
        pg.autocommit = True
        cursor.execute("VACUUM ANALYZE")
    print(
        f"data ready in {time.perf_counter() - started:.0f} s: {len(groups):,} duplicate groups, {rows:,} similar rows",
        flush=True,
    )


def store_vectors(cursor, rng, text_of: list[int], n_texts: int) -> None:
    """A stored e5-like vector for every suggestion, one per text: unit rows whose cosines sit near 0.75, as
    e5's sit near 0.8, so the theme space subtracts their mean as it would for real ones. They carry no themes
    of their own: this times the semantic half of the theme space, it does not test it."""
    import numpy as np

    from suggestions import semantic

    generator = np.random.default_rng(rng.randrange(2**32))
    vectors = generator.standard_normal((n_texts, semantic.DIMENSIONS)) * 0.03 + generator.standard_normal(
        semantic.DIMENSIONS
    ) / np.sqrt(semantic.DIMENSIONS)
    stored = [semantic.vector_to_bytes(row / np.linalg.norm(row)) for row in vectors]
    del vectors
    columns = "suggestion_id, state, vector, attempts, last_error, state_changed_at, stored_at"
    with cursor.copy(f"COPY suggestions_suggestionembedding ({columns}) FROM STDIN") as copy:
        for pk, text in enumerate(text_of, start=1):
            copy.write_row((pk, "stored", stored[text], 1, "", "now", "now"))


def clear_themes(args):
    import psycopg

    with psycopg.connect(f"host={args.host} user={args.user} dbname={args.database}", autocommit=True) as pg:
        # Not TRUNCATE … CASCADE: suggestions name their idea, so it would empty the suggestions table too.
        pg.execute("UPDATE suggestions_suggestion SET idea_id = NULL, idea_by_reviewer = false")
        pg.execute("TRUNCATE suggestions_thememembership, suggestions_themesnapshot")
        pg.execute("DELETE FROM suggestions_idea")
        pg.execute("DELETE FROM suggestions_theme")


def pin_some(args) -> int:
    """Reviewer placements and a reviewer's label, as a few weeks of reviewing leave them."""
    from django.utils import timezone

    from suggestions.models import Theme, ThemeMembership

    rng = random.Random(args.seed + 1)
    themes = list(Theme.objects.filter(is_active=True).values_list("pk", flat=True))
    pinned = rng.sample(range(1, args.size + 1), int(args.size * PINNED_SHARE))
    for chunk in range(0, len(pinned), 100):  # a hundred at a time into one theme, as a reviewer moves them
        ThemeMembership.objects.filter(suggestion_id__in=pinned[chunk : chunk + 100]).update(
            theme_id=rng.choice(themes), source=ThemeMembership.Source.REVIEWER, assigned_at=timezone.now()
        )
    Theme.objects.filter(pk=themes[0]).update(label="محور نام‌گذاری‌شده به دست کارشناس", label_edited=True)
    return len(pinned)


# ---------------------------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------------------------


def run_once(args) -> dict:
    """One recluster() in this process: the wall time between its progress reports, and what it wrote."""
    from django.db import connection

    from suggestions import pipeline
    from suggestions.models import Theme, ThemeMembership, ThemeSnapshot

    marks = [("start", time.perf_counter())]

    def progress(stage, done, total):
        if stage != marks[-1][0]:
            marks.append((stage, time.perf_counter()))

    profiler = None
    if args.profile and args.run == "first":
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    result = pipeline.recluster(progress=progress)
    marks.append(("end", time.perf_counter()))
    if profiler is not None:
        import pstats

        profiler.disable()
        # On stderr: this process's stdout is not shown.
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
    # Each span is named after what runs in it: reading before «vectorising», writing after «saving».
    names = {"start": "reading", "vectorising": "vectorising", "similar": "similar lists"}
    names.update(clustering="clustering", saving="saving")
    stages = {names[a]: round(t2 - t1, 1) for (a, t1), (_, t2) in zip(marks, marks[1:], strict=False) if a in names}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT octet_length(arrays) + octet_length(metadata::text) FROM suggestions_themesnapshot "
            "ORDER BY version DESC LIMIT 1"
        )
        snapshot_mb = cursor.fetchone()[0] / 2**20
    return {
        "run": args.run,
        "suggestions": result["suggestions"],
        "stages_s": stages,
        "total_s": round(marks[-1][1] - marks[0][1], 1),
        "peak_rss_mb": round(peak_rss_mb()),
        "themes": result["themes"],
        "active_themes": Theme.objects.filter(is_active=True).count(),
        "machine_memberships": ThemeMembership.objects.filter(source=ThemeMembership.Source.MACHINE).count(),
        "reviewer_memberships": ThemeMembership.objects.filter(source=ThemeMembership.Source.REVIEWER).count(),
        "snapshots": ThemeSnapshot.objects.count(),
        "snapshot_mb": round(snapshot_mb, 1),
    }


def run_in_own_process(args, run: str) -> dict:
    """One run in a fresh process, so that its peak RSS is its own; its figures come back through --json."""
    with tempfile.TemporaryDirectory(prefix="hamandishi-recluster-") as scratch:
        figures = Path(scratch) / f"{run}.json"
        command = [sys.executable, __file__, "--run", run, "--size", str(args.size), "--database", args.database]
        command += ["--host", args.host, "--user", args.user, "--json", str(figures)]
        command += ["--profile"] if args.profile else []
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        return json.loads(figures.read_text())


def show(figures: dict, size: int) -> None:
    stages = ", ".join(f"{name} {seconds} s" for name, seconds in figures["stages_s"].items())
    print(
        f"\n{figures['run']} run, {figures['suggestions']:,} suggestions: {figures['total_s']} s, "
        f"peak RSS {figures['peak_rss_mb']:,} MB\n  {stages}\n"
        f"  {figures['themes']} clusters, {figures['active_themes']} active themes; wrote "
        f"{figures['machine_memberships']:,} machine memberships ({figures['reviewer_memberships']:,} reviewer "
        f"placements kept) and a {figures['snapshot_mb']} MB snapshot",
        flush=True,
    )
    target = next((seconds for limit, seconds in sorted(TARGET_SECONDS.items()) if size <= limit), None)
    if target:
        verdict = "meets" if figures["total_s"] < target and figures["peak_rss_mb"] < TARGET_PEAK_MB else "MISSES"
        print(f"  target under {target} s and {TARGET_PEAK_MB:,} MB: {verdict}", flush=True)


def main():
    args = parse_args()
    setup(args)
    if args.run:
        write_json(run_once(args), args.json)
        return
    if args.keep:
        clear_themes(args)
    else:
        build(args)
    summary = {"size": args.size, "first": run_in_own_process(args, "first")}
    show(summary["first"], args.size)
    print(f"\npinned {pin_some(args):,} suggestions to themes as reviewer placements", flush=True)
    summary["second"] = run_in_own_process(args, "second")
    show(summary["second"], args.size)
    report(summary, args.json, title="portal re-clustering figures")


if __name__ == "__main__":
    main()

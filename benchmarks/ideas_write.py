"""Writing ideas on PostgreSQL: `suggestions.grouping.write_ideas` as a re-clustering calls it, first with no
ideas stored, then again with 5 % of the suggestions moved to other ideas of their theme.

    flock /tmp/hamandishi-bench.lock .venv/bin/python benchmarks/ideas_write.py                  # 100,000
    flock /tmp/hamandishi-bench.lock .venv/bin/python benchmarks/ideas_write.py --size 1000000 --ideas 300000

It drops and recreates a dedicated database (default `hamandishi_bench_ideas`), migrates it, inserts N analyzed
suggestions placed in 60 themes (each idea's members in one theme), and times the two writes: reading every
suggestion's idea and every membership, carrying the ids, creating or updating the ideas, setting each moved
suggestion's idea and recounting sizes, in one transaction each. Labels are given, not computed: the analysis
portal's `idea_sync.label_ideas` adds about 0.2 ms a suggestion (only for ideas that are new or changed members).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.harness.database import recreate_database  # noqa: E402
from benchmarks.harness.portal import portal_env, setup_django  # noqa: E402

THEMES = 60
MOVED_SHARE = 0.05


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--ideas", type=int, default=30_000)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/hamandishi_bench_ideas")
    args = parser.parse_args()
    setup_django(portal_env(database_url=recreate_database(args.database), redis_url=None))

    from django.core.management import call_command
    from django.utils import timezone

    from suggestions import grouping
    from suggestions.models import Idea, Suggestion, Theme, Topic

    call_command("migrate", verbosity=0)
    rng = random.Random(2026)
    topic = Topic.objects.first()
    Suggestion.objects.bulk_create(
        (
            Suggestion(tracking_code=f"B{n:09d}", role="citizen", topic=topic, title="t", body="b", state="analyzed")
            for n in range(args.size)
        ),
        batch_size=5000,
    )
    ids = list(Suggestion.objects.values_list("pk", flat=True))
    themes = Theme.objects.bulk_create([Theme(label=f"محور {n}") for n in range(THEMES)])
    idea_of = {pk: rng.randrange(args.ideas) for pk in ids}
    theme_of_idea = {key: themes[key % THEMES].pk for key in range(args.ideas)}
    grouping.write_machine_memberships(((pk, theme_of_idea[idea_of[pk]]) for pk in ids), assigned_at=timezone.now())
    members: dict[int, list[int]] = {}
    for pk, key in idea_of.items():
        members.setdefault(key, []).append(pk)
    labels = {key: f"ایدهٔ {key}" for key in members}

    started = time.perf_counter()
    grouping.write_ideas(members=members, labels=labels)
    first = time.perf_counter() - started

    for pk in rng.sample(ids, int(len(ids) * MOVED_SHARE)):
        old, new = idea_of[pk], rng.randrange(args.ideas)
        if theme_of_idea[new] == theme_of_idea[old] and new in members:
            members[old].remove(pk)
            members[new].append(pk)
            idea_of[pk] = new
    members = {key: pks for key, pks in members.items() if pks}
    started = time.perf_counter()
    grouping.write_ideas(members=members, labels=labels)
    second = time.perf_counter() - started

    active = Idea.objects.filter(is_active=True).count()
    print(f"{args.size:,} suggestions in {active:,} ideas: first write {first:.1f} s, ", end="")
    print(f"re-write with 5 % moved {second:.1f} s")


if __name__ == "__main__":
    main()

"""Memory of ``analyze_file``'s stages on generated texts: resident MB after each stage and its peak during it.

    python benchmarks/analyze_file_memory.py --size 200000
    python benchmarks/analyze_file_memory.py --size 200000 --upto duplicates   # the stages before the similar search

Runs the stages of ``Engine.analyze_many`` one after the other in this process (reading the texts, display
forms, match forms, duplicate groups with their signatures and band index, then the rest of the analysis).
The peak of each stage is the kernel's high-water mark, reset before the stage (``/proc/self/clear_refs``).
``--code DIR`` imports ``suggestions.analysis`` from another copy of the code (e.g. an older commit's).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _status(field: str) -> float:
    text = Path("/proc/self/status").read_text()
    return int(text.split(f"{field}:")[1].split()[0]) / 1024


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--upto", choices=["duplicates", "all"], default="all")
    parser.add_argument("--code", type=Path, help="import suggestions.analysis from this directory")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    if args.code:
        sys.path.insert(0, str(args.code.resolve()))
    from benchmarks.generate import generate
    from suggestions.analysis import corpus, engine
    from suggestions.analysis.normalize import display_form, match_form

    print(f"{args.size:,} texts, code from {Path(corpus.__file__).parent}", flush=True)
    print(f"{'stage':<22}{'seconds':>9}{'RSS after MB':>14}{'peak MB':>10}", flush=True)
    state: dict = {}

    def stage(name, work):
        gc.collect()
        _reset_peak()
        started = time.perf_counter()
        work()
        gc.collect()
        print(
            f"{name:<22}{time.perf_counter() - started:>9.1f}{_status('VmRSS'):>14,.0f}{_status('VmHWM'):>10,.0f}",
            flush=True,
        )

    stage("start", lambda: None)
    stage("texts", lambda: state.update(records=[(i.id, i.text) for i in generate(args.size, seed=1)]))
    stage("display forms", lambda: state.update(displays=[display_form(t) for _, t in state["records"]]))
    ids = [item_id for item_id, _ in state["records"]]
    del state["records"]  # as Engine.analyze_many keeps the display forms only
    stage("match forms", lambda: state.update(matches=[match_form(d) for d in state["displays"]]))

    def duplicates():
        state["canonical"], state["signatures"] = corpus.duplicate_groups(ids, state["matches"])

    stage("duplicate groups", duplicates)
    if args.upto == "all":

        def rest():
            state["collection"] = engine.Engine().analyze_collection(
                ids, state["displays"], state["canonical"], state["signatures"], None, matches=state["matches"]
            )

        stage("similar/ideas/themes", rest)
    return 0


if __name__ == "__main__":
    sys.exit(main())

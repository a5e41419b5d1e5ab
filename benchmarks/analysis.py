"""Speed and memory of the Persian analysis library on synthetic suggestions.

    python benchmarks/analysis.py --size 20000 --index-size 1000000 --recluster-size 100000
    python benchmarks/analysis.py --only recluster --recluster-size 1000000

Each stage runs in its own process so that its peak memory (max RSS) is its own.
Prints one line per stage and a table of every figure at the end (`--json PATH` writes them as JSON).
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

from benchmarks.harness.corpus import generate, near_copy  # noqa: E402
from benchmarks.harness.figures import add_json_option, percentile, report, write_json  # noqa: E402
from benchmarks.harness.memory import peak_rss_mb  # noqa: E402


def stage_batch(size: int) -> dict:
    """Normalise, fingerprint, MinHash, LSH query and insert, in batches of 512; against hazm alone.

    hazm alone is hazm 0.12.1's default ``Normalizer().normalize`` on the same texts.  The two
    are timed in turns, twice each, and the faster run of each is kept: on a shared machine a
    neighbour's burst then slows neither figure alone.  The same path one suggestion at a time
    (what a worker does for a new suggestion) is timed once, for comparison.
    """
    from hazm import Normalizer

    from suggestions.analysis import MemoryBandIndex, display_form, find_near_duplicates, match_form
    from suggestions.analysis.duplicates import find_near_duplicates_batch
    from suggestions.analysis.minhash import signature_of_match_form, signatures_of_match_forms
    from suggestions.analysis.normalize import fingerprint_of_match_form

    texts = [item.text for item in generate(size, seed=1)]
    hazm = Normalizer()
    hazm.normalize("آماده")
    display_form("آماده")  # build the tables once, as hazm's constructor does

    def hazm_only() -> None:
        for text in texts:
            hazm.normalize(text)

    def batched() -> None:
        index = MemoryBandIndex()
        for start in range(0, size, 512):
            chunk = texts[start : start + 512]
            forms = [match_form(display_form(text)) for text in chunk]
            for form in forms:
                fingerprint_of_match_form(form)
            signatures = signatures_of_match_forms(forms)
            find_near_duplicates_batch(list(range(start, start + len(chunk))), signatures, index)

    def one_at_a_time() -> None:
        index = MemoryBandIndex()
        for n, text in enumerate(texts):
            form = match_form(display_form(text))
            fingerprint_of_match_form(form)
            sig = signature_of_match_form(form)
            find_near_duplicates(sig, index)
            index.add(n, sig)

    def timed(run) -> float:
        started = time.perf_counter()
        run()
        return time.perf_counter() - started

    hazm_s, batch_s = [], []
    for _ in range(2):
        hazm_s.append(timed(hazm_only))
        batch_s.append(timed(batched))
    single_s = timed(one_at_a_time)
    words = np.mean([len(t.split()) for t in texts])
    return {
        "batch_per_s": round(size / min(batch_s)),
        "hazm_only_per_s": round(size / min(hazm_s)),
        "ratio": round(min(hazm_s) / min(batch_s), 2),
        "one_at_a_time_per_s": round(size / single_s),
        "mean_words": round(float(words), 1),
        "load_average": round(os.getloadavg()[0], 1),
    }


def stage_index(size: int, real: int) -> dict:
    """Near-duplicate look-up latency with `size` suggestions indexed (`real` of them generated texts).

    Also the recall of look-ups for planted near-copies (a few words dropped, doubled or swapped) of
    indexed texts whose true shingle Jaccard with their source is at least the merge threshold.
    """
    import random

    from suggestions.analysis import NEAR_DUPLICATE_THRESHOLD, MemoryBandIndex, find_near_duplicates
    from suggestions.analysis.minhash import shingle_hashes, signatures_of_match_forms
    from suggestions.analysis.normalize import match_form

    items = generate(min(size, real), seed=2)
    started = time.perf_counter()
    sigs = signatures_of_match_forms([match_form(item.text) for item in items])
    sign_s = time.perf_counter() - started
    before = peak_rss_mb()
    index = MemoryBandIndex()
    started = time.perf_counter()
    chunk = 50_000
    for start in range(0, len(sigs), chunk):
        index.add_many(range(start, start + len(sigs[start : start + chunk])), sigs[start : start + chunk])
    # Beyond `real`, random signatures fill the index: they stand for a million other,
    # unrelated texts (the generator's small vocabulary makes its texts far more alike than
    # real suggestions, so a million generated texts would overstate the candidates).
    rng = np.random.default_rng(3)
    filled = len(sigs)
    while filled < size:
        n = min(chunk, size - filled)
        index.add_many(range(filled, filled + n), rng.integers(0, 2**32, size=(n, 128), dtype=np.uint32))
        filled += n
    build_s = time.perf_counter() - started
    build_peak = peak_rss_mb()
    queries = signatures_of_match_forms([match_form(item.text) for item in generate(2000, seed=9)])
    latencies = []
    for sig in queries:
        started = time.perf_counter()
        find_near_duplicates(sig, index)
        latencies.append((time.perf_counter() - started) * 1000)

    picker = random.Random(11)
    planted = found = 0
    for source in picker.sample(range(len(items)), 2000):
        copy = match_form(near_copy(items[source].text, picker, edits=picker.randint(1, 3)))
        original = match_form(items[source].text)
        a, b = set(shingle_hashes(copy).tolist()), set(shingle_hashes(original).tolist())
        if len(a & b) / len(a | b) < NEAR_DUPLICATE_THRESHOLD:
            continue
        planted += 1
        found += source in {d.id for d in find_near_duplicates(signatures_of_match_forms([copy])[0], index)}
    return {
        "indexed": len(index),
        "generated_texts": len(sigs),
        "signatures_per_s": round(len(sigs) / sign_s),
        "build_s": round(build_s, 1),
        "lookup_p50_ms": round(percentile(latencies, 0.50), 2),
        "lookup_p99_ms": round(percentile(latencies, 0.99), 2),
        "planted_near_copies": planted,
        "planted_recall": round(found / max(planted, 1), 4),
        "index_nbytes_mb": round(index.nbytes / 2**20),
        "index_rss_growth_mb": round(build_peak - before),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def stage_recluster(size: int, chars: bool = False) -> dict:
    """Full re-clustering: words TF-IDF (``chars``: and character n-grams), SVD 100, k-means with k
    chosen by silhouette, labels.  The portal adds character n-grams up to 200,000 suggestions.

    Normalising (display and match forms) is timed apart: the portal stores both with each suggestion.
    As in the portal, only the display forms and an integer group per suggestion are held while
    clustering, so the peak is the re-clustering's own and not that of the generator's raw texts.
    """
    from suggestions.analysis import LexicalVectorizer, cluster_themes, display_form, match_form

    texts = [item.text for item in generate(size, seed=4)]
    started = time.perf_counter()
    displays = [display_form(t) for t in texts]
    del texts
    # Each suggestion's duplicate group is known before a re-clustering (stored in the portal as the
    # canonical suggestion's id): here the first suggestion with the same match form stands for it.
    first_with_form: dict[str, int] = {}
    groups = [first_with_form.setdefault(match_form(d), n) for n, d in enumerate(displays)]
    del first_with_form
    normalise_s = time.perf_counter() - started
    started = time.perf_counter()
    vectors = LexicalVectorizer(chars=chars).fit_transform(displays)
    vectorise_s = time.perf_counter() - started
    labels, model = cluster_themes(vectors, groups, displays)
    cluster_s = time.perf_counter() - started
    return {
        "items": size,
        "vectors": "words and characters" if chars else "words",
        "duplicate_groups": len(set(groups)),
        "themes": len(model.labels),
        "normalise_s": round(normalise_s, 1),
        "vectorise_s": round(vectorise_s, 1),
        "recluster_s": round(cluster_s, 1),
        "peak_rss_mb": round(peak_rss_mb()),
        "example_labels": model.labels[:3],
    }


def stage_campaign(size: int) -> dict:
    """Precision and recall of the planted campaign as found by the duplicate grouping."""
    from collections import Counter

    from suggestions.analysis import duplicate_groups, match_form

    items = generate(size, seed=5)
    ids = [item.id for item in items]
    canonical, _ = duplicate_groups(ids, [match_form(item.text) for item in items])
    planted = {item.id for item in items if item.kind == "campaign"}
    group, _ = Counter(c for i, c in zip(ids, canonical, strict=True) if i in planted).most_common(1)[0]
    found = {i for i, c in zip(ids, canonical, strict=True) if c == group}
    near = [(i, c) for i, c, item in zip(ids, canonical, items, strict=True) if item.kind in ("near", "noise")]
    source = {item.id: item.source for item in items}
    near_ok = sum(1 for i, c in near if c == source[i] or canonical[ids.index(source[i])] == c)
    return {
        "items": size,
        "campaign_planted": len(planted),
        "campaign_found": len(found),
        "campaign_precision": round(len(found & planted) / len(found), 4),
        "campaign_recall": round(len(found & planted) / len(planted), 4),
        "copies_and_noise_joined_their_source": round(near_ok / max(len(near), 1), 4),
    }


STAGES = {"batch": stage_batch, "index": stage_index, "recluster": stage_recluster, "campaign": stage_campaign}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=5_000, help="texts for the batch-throughput stage")
    parser.add_argument("--index-size", type=int, default=1_000_000, help="suggestions in the look-up index")
    parser.add_argument(
        "--index-real",
        type=int,
        default=100_000,
        help="how many of the indexed suggestions are generated texts (rest: perturbed copies)",
    )
    parser.add_argument("--recluster-size", type=int, default=100_000)
    parser.add_argument(
        "--recluster-chars", action="store_true", help="re-cluster on character n-grams too, as the portal does"
    )
    parser.add_argument("--campaign-size", type=int, default=20_000)
    parser.add_argument("--only", choices=sorted(STAGES), action="append", help="run only these stages")
    parser.add_argument("--stage", choices=sorted(STAGES), help=argparse.SUPPRESS)
    add_json_option(parser)
    args = parser.parse_args()

    stage_args = {
        "batch": [args.size],
        "index": [args.index_size, args.index_real],
        "recluster": [args.recluster_size, args.recluster_chars],
        "campaign": [args.campaign_size],
    }
    if args.stage:
        write_json(STAGES[args.stage](*stage_args[args.stage]), args.json)
        return
    summary = {}
    scratch = Path(tempfile.mkdtemp(prefix="hamandishi-analysis-"))  # each stage's figures, read back below
    for name in args.only or list(STAGES):
        command = [
            sys.executable,
            __file__,
            "--stage",
            name,
            "--size",
            str(args.size),
            "--index-size",
            str(args.index_size),
            "--index-real",
            str(args.index_real),
            "--recluster-size",
            str(args.recluster_size),
            "--campaign-size",
            str(args.campaign_size),
            *(["--recluster-chars"] if args.recluster_chars else []),
            "--json",
            str(scratch / f"{name}.json"),
        ]
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        summary[name] = json.loads((scratch / f"{name}.json").read_text())
        (scratch / f"{name}.json").unlink()
        print(
            f"{name:10s} ({time.perf_counter() - started:.0f} s wall): {json.dumps(summary[name], ensure_ascii=False)}",
            flush=True,
        )
    scratch.rmdir()
    report(summary, args.json, title="analysis library figures")


if __name__ == "__main__":
    main()

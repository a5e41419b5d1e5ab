"""How ``manage.py analyze_file`` grows with the collection: whole process, against hazm normalisation.

    python benchmarks/analyze_file_scale.py                       # 10,000, 20,000 and 40,000
    python benchmarks/analyze_file_scale.py --sizes 1000000       # the million, with its peak memory

Noisy suggestions from ``benchmarks/generate.py`` are written to a JSONL file and analyzed by the
command in a process of its own (start-up, reading and writing included), whose wall time and peak
RSS are its own.  hazm 0.12.1's ``Normalizer().normalize`` of the same texts is timed in this process
in the same run.  Prints one line per size, the targets, and a JSON summary at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate  # noqa: E402

RATIO_TARGET = 0.5  # hazm time / whole-process time at 20,000
GROWTH_TARGET = 2.2  # time(40,000) / time(20,000)
MILLION_SECONDS = 600
MILLION_MB = 4096


def hazm_seconds(texts: list[str]) -> float:
    from hazm import Normalizer

    normalizer = Normalizer()
    normalizer.normalize("آماده")
    started = time.perf_counter()
    for text in texts:
        normalizer.normalize(text)
    return time.perf_counter() - started


def tree_mb(pid: int) -> float:
    """Proportional set size (MB) of a process and its children: memory they share after a fork counts once."""
    total, pids = 0.0, [pid]
    while pids:
        current = pids.pop()
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
            total += int(rollup.split("\nPss:")[1].split()[0]) / 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                pids += [int(p) for p in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue
    return total


def whole_process(
    path: Path, out: Path, *, stop_mb: float, stop_s: float, workers: int | None = None
) -> tuple[float, float, float, str]:
    """Wall seconds, peak RSS (MB) of the command's process, peak memory (MB) of it with the processes it
    forks (``tree_mb``, sampled every half second), and how it ended, of one ``manage.py analyze_file`` run.

    The wall time ends when the process does: this thread waits for it, and a watcher thread samples the
    memory. A run that passes ``stop_mb`` of RSS or ``stop_s`` seconds is stopped, so that a regression cannot
    take a shared machine's memory: its figures are then lower bounds.
    """
    started = time.perf_counter()
    command = [sys.executable, str(ROOT / "manage.py"), "analyze_file", str(path), "--out", str(out)]
    child = subprocess.Popen(
        command + ([] if workers is None else ["--workers", str(workers)]), cwd=ROOT, stdout=subprocess.PIPE
    )
    seen = {"peak": 0.0, "tree_peak": 0.0, "ended": "finished"}
    reaped = threading.Event()

    def watch() -> None:
        while not reaped.wait(0.5):
            try:
                status = Path(f"/proc/{child.pid}/status").read_text()
                seen["peak"] = max(seen["peak"], int(status.split("VmHWM:")[1].split()[0]) / 1024)
                seen["tree_peak"] = max(seen["tree_peak"], tree_mb(child.pid))
            except (OSError, IndexError):
                continue
            over_mb, over_s = seen["peak"] > stop_mb, time.perf_counter() - started > stop_s
            if (over_mb or over_s) and not reaped.is_set():
                seen["ended"] = f"stopped above {stop_mb:,.0f} MB" if over_mb else f"stopped after {stop_s:,.0f} s"
                child.kill()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    # Reaped here with wait4 (not Popen.wait, which would reap it first and lose its rusage).
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    reaped.set()
    watcher.join()
    ended = seen["ended"]
    if ended == "finished" and os.waitstatus_to_exitcode(status):
        raise SystemExit(f"analyze_file failed on {path} ({os.waitstatus_to_exitcode(status)})")
    print("   ", child.stdout.read().decode().strip() or ended, flush=True)
    return seconds, max(seen["peak"], usage.ru_maxrss / 1024), seen["tree_peak"], ended


def measure(size: int, workdir: Path, *, hazm: bool, stop_mb: float, stop_s: float, workers: int | None) -> dict:
    texts = [item.text for item in generate(size, seed=1)]
    path = workdir / f"noisy_{size}.jsonl"
    with path.open("w", encoding="utf-8") as lines:
        for n, text in enumerate(texts):
            lines.write(json.dumps({"id": f"s{n}", "text": text}, ensure_ascii=False) + "\n")
    hazm_s = hazm_seconds(texts) if hazm else None
    del texts
    seconds, peak_mb, tree_peak_mb, ended = whole_process(
        path, workdir / f"out_{size}.jsonl", stop_mb=stop_mb, stop_s=stop_s, workers=workers
    )
    row = {"size": size, "seconds": round(seconds, 1), "per_s": round(size / seconds), "peak_mb": round(peak_mb)}
    row["with_workers_peak_mb"] = round(tree_peak_mb)
    row["ended"] = ended
    if hazm_s is not None:
        row |= {"hazm_seconds": round(hazm_s, 1), "ratio_to_hazm": round(hazm_s / seconds, 2)}
    print(
        f"{size:>9,} texts: {seconds:7.1f} s, {row['per_s']:,}/s, peak {peak_mb:,.0f} MB"
        f" ({tree_peak_mb:,.0f} with its workers)"
        + (f"; hazm alone {hazm_s:.1f} s, ratio {row['ratio_to_hazm']}" if hazm_s is not None else "")
        + ("" if ended == "finished" else f" ({ended}: lower bounds)"),
        flush=True,
    )
    path.unlink()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 20_000, 40_000])
    parser.add_argument("--no-hazm", action="store_true", help="skip hazm's timing (for the million)")
    parser.add_argument("--stop-mb", type=float, default=8_000, help="stop a run whose RSS passes this")
    parser.add_argument("--stop-s", type=float, default=3_600, help="stop a run that takes longer than this")
    parser.add_argument("--workers", type=int, default=None, help="analyze_file's --workers (default: its own)")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory() as workdir:
        rows = [
            measure(
                size,
                Path(workdir),
                hazm=not args.no_hazm and size <= 100_000,
                stop_mb=args.stop_mb,
                stop_s=args.stop_s,
                workers=args.workers,
            )
            for size in args.sizes
        ]
    by_size = {row["size"]: row for row in rows}
    summary: dict = {"rows": rows, "load_average_end": round(os.getloadavg()[0], 1)}
    if 20_000 in by_size and "ratio_to_hazm" in by_size[20_000]:
        ratio = by_size[20_000]["ratio_to_hazm"]
        summary["ratio_at_20000"] = ratio
        verdict = "met" if ratio >= RATIO_TARGET else "MISSED"
        print(f"ratio to hazm at 20,000: {ratio} (target >= {RATIO_TARGET}) {verdict}")
    if 20_000 in by_size and 40_000 in by_size:
        growth = round(by_size[40_000]["seconds"] / by_size[20_000]["seconds"], 2)
        summary["growth_40000_over_20000"] = growth
        verdict = "met" if growth <= GROWTH_TARGET else "MISSED"
        print(f"time(40,000)/time(20,000): {growth} (target <= {GROWTH_TARGET}) {verdict}")
    if 1_000_000 in by_size:
        million = by_size[1_000_000]
        met = (
            million["ended"] == "finished"
            and million["seconds"] <= MILLION_SECONDS
            and million["peak_mb"] <= MILLION_MB
        )
        print(
            f"1,000,000: {million['seconds'] / 60:.1f} min, peak {million['peak_mb']:,} MB "
            f"(targets <= 10 min, <= 4 GB) {'met' if met else 'MISSED'}"
        )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()

"""Soak: `make run`'s stack left alone for half an hour with a citizen's suggestion every ten seconds.

    .venv/bin/python benchmarks/soak.py                  # 30 minutes, one suggestion every 10 s
    .venv/bin/python benchmarks/soak.py --minutes 2      # a quick look

What it does, in order:
1. makes a temporary VAR dir (HAMANDISHI_VAR_DIR), so SQLite, the embedded broker and the supervisor's record
   are its own; no REDIS_URL and no DATABASE_URL, as on a newcomer's machine; the `.env` file is not read;
2. runs what `make run` runs: `migrate`, `seed_demo`, then `manage.py serve` on a free loopback port;
3. every --interval seconds, one citizen: GET /suggest/ (CSRF token, form clock, idempotency key from the page),
   POST the filled-in form, expect 302 to a receipt. The minimum fill time is lowered and the per-address rate
   limit raised in the stack's environment, since every citizen here comes from 127.0.0.1;
4. samples the memory of the whole stack (`serve` and every process under it) each time;
5. after the last one, waits up to --drain seconds for every receipt to be analyzed, reads /healthz and the
   supervisor's record, stops `serve` with SIGTERM as Ctrl-C would, and scans its log.

It prints, as one table (`--json PATH` also writes it as JSON): receipts, stored, analyzed, crashes and restarts
per process, peak memory (RSS summed, and PSS, which counts pages shared by forked processes once) and the log
lines that matter. Exit status 1 when a receipt was not stored or not analyzed, a process crashed, or the stack did
not start or stop cleanly.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.harness.citizen import Browser, Tally, submit_once  # noqa: E402
from benchmarks.harness.corpus import form_texts  # noqa: E402
from benchmarks.harness.figures import add_json_option, report  # noqa: E402
from benchmarks.harness.memory import PeakSampler  # noqa: E402
from benchmarks.harness.portal import manage, portal_env, start_portal  # noqa: E402
from benchmarks.harness.processes import HOST, Stack  # noqa: E402

FILL_SECONDS = 1.0
# Lines of the stack's log worth counting: the crash that ended the file-system broker, any traceback, and the
# warnings people complained of.
LOG_MARKERS = {
    "unrecoverable": "Unrecoverable error",
    "json_decode_error": "JSONDecodeError",
    "traceback": "Traceback (most recent call last)",
    "no_hostname": "No hostname was supplied",
    "warning_lines": "WARNING/",
    "restarted": " restarted (pid ",
}


def stack_env(var_dir: Path) -> dict[str, str]:
    """What `make run` runs with, from `.env.example`: DEBUG on, no DATABASE_URL and no REDIS_URL (SQLite and
    the embedded broker under the VAR dir). The minimum fill time is lowered and the per-address limit raised,
    since every citizen here comes from 127.0.0.1."""
    return portal_env(
        database_url=None,
        redis_url=None,
        DJANGO_SETTINGS_MODULE="portal.settings",
        DJANGO_DEBUG="true",
        HAMANDISHI_VAR_DIR=str(var_dir),
        FORM_MIN_FILL_SECONDS=str(FILL_SECONDS),
        SUBMIT_RATE_LIMIT="100000/600",
        LOG_LEVEL="INFO",
    )


def get_json(port: int, path: str) -> tuple[int, dict]:
    browser = Browser(port, timeout=10)
    try:
        status, _, content = browser.request("GET", path)
        return status, json.loads(content or b"{}")
    except (OSError, ValueError):
        return 0, {}
    finally:
        browser.close()


def submit_one(port: int, rng: random.Random, texts, options: dict) -> tuple[str | None, str]:
    """One citizen sends one suggestion, taking their time; (tracking code, '') on a receipt, else (None, what
    went wrong)."""
    tally = Tally()
    browser = Browser(port, timeout=30)
    try:
        submit_once(browser, rng, texts, tally, options, {"fill_seconds": FILL_SECONDS + 0.2})
    except OSError as exc:
        return None, f"{exc.__class__.__name__}: {exc}"
    finally:
        browser.close()
    if tally.codes:
        return tally.codes[0], ""
    return None, tally.first_rejection[:300] or f"GET /suggest/ answered {tally.status}"


def stored_and_analyzed(database: Path, codes: list[str]) -> tuple[int, int]:
    if not codes:
        return 0, 0
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as db:
        marks = ",".join("?" * len(codes))
        rows = db.execute(f"SELECT state FROM suggestions_suggestion WHERE tracking_code IN ({marks})", codes)
        states = [state for (state,) in rows]
    return len(states), sum(1 for state in states if state == "analyzed")


def count_markers(log: Path) -> dict[str, int]:
    counts = dict.fromkeys(LOG_MARKERS, 0)
    with log.open(errors="replace") as lines:
        for line in lines:
            for key, marker in LOG_MARKERS.items():
                if marker in line:
                    counts[key] += 1
    return counts


def run(args, stack: Stack) -> int:
    var_dir = stack.logdir
    env = stack_env(var_dir)
    print(f"Soak: {args.minutes:g} min, a suggestion every {args.interval:g} s, stack in {var_dir}")
    started = time.monotonic()
    with (var_dir / "setup.log").open("w") as log:
        manage(env, "migrate", "--noinput", log=log)
        manage(env, "seed_demo", log=log)
    print(f"  migrated and seeded in {time.monotonic() - started:.0f} s", flush=True)
    port = start_portal(stack, env, web="serve", workers=[], ready_path="/healthz", timeout=180)
    serve = stack.procs["serve"]
    print(f"  stack answers on {HOST}:{port} after {time.monotonic() - started:.0f} s", flush=True)
    result = {"receipts": 0, "refused": 0, "refusals": []}
    codes: list[str] = []
    try:
        rng = random.Random(args.seed)
        texts = form_texts(400, seed=args.seed)
        options: dict[str, list[str]] = {}
        with PeakSampler(serve.pid, interval=args.interval) as memory:
            begin = time.monotonic()
            end = begin + args.minutes * 60
            next_report = begin + 60
            tick = begin
            while time.monotonic() < end and serve.poll() is None:
                code, problem = submit_one(port, rng, texts, options)
                if code:
                    codes.append(code)
                else:
                    result["refusals"].append(problem)
                if time.monotonic() >= next_report:
                    next_report += 60
                    _, health = get_json(port, "/healthz")
                    processes = health.get("processes", {}).values()
                    print(
                        f"  {(time.monotonic() - begin) / 60:5.1f} min  receipts {len(codes)}"
                        f"  refused {len(result['refusals'])}  RSS {memory.last_rss_mb:.0f} MB"
                        f"  PSS {memory.last_pss_mb:.0f} MB"
                        f"  crashes {sum(entry['crashes_last_hour'] for entry in processes)}"
                        f"  restarts {sum(entry['restarts'] for entry in processes)}  /healthz {health.get('status')}",
                        flush=True,
                    )
                tick += args.interval
                time.sleep(max(0.0, tick - time.monotonic()))
        result.update(peak_rss_mb=round(memory.peak_rss_mb), peak_pss_mb=round(memory.peak_pss_mb))
        result["soaked_minutes"] = round((time.monotonic() - begin) / 60, 2)
        result["receipts"], result["refused"] = len(codes), len(result["refusals"])
        drain_until = time.monotonic() + args.drain
        stored, analyzed = stored_and_analyzed(var_dir / "hamandishi.sqlite3", codes)
        while analyzed < len(codes) and time.monotonic() < drain_until and serve.poll() is None:
            time.sleep(2)
            stored, analyzed = stored_and_analyzed(var_dir / "hamandishi.sqlite3", codes)
        result.update(stored=stored, analyzed=analyzed)
        result["healthz_status"], health = get_json(port, "/healthz")
        result["healthz_processes"] = health.get("processes")
        result["web_alive_at_end"] = serve.poll() is None
    finally:
        result["serve_exit_code"] = stack.stop_one("serve", timeout=90)  # SIGTERM, as Ctrl-C would
    record = json.loads((var_dir / "supervisor.json").read_text())
    result["crashes"] = {name: len(p["crashes"]) for name, p in record["processes"].items()}
    result["restarts"] = {name: p["restarts"] for name, p in record["processes"].items()}
    result["log"] = count_markers(var_dir / "serve.log")
    result["log_path"] = str(var_dir / "serve.log")
    return print_report(result, args.json)


def print_report(result: dict, json_path: Path | None) -> int:
    refusals = result.pop("refusals")
    for problem in refusals[:5]:
        print(f"refused: {problem}")
    report(result, json_path, title="soak figures")
    crashes = sum(result["crashes"].values())
    lost = result["stored"] < result["receipts"] or result["analyzed"] < result["receipts"]
    clean_stop = result["serve_exit_code"] == 0
    return 1 if lost or crashes or not result["web_alive_at_end"] or not clean_stop else 0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0, help="how long to soak (default 30)")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between suggestions (default 10)")
    parser.add_argument("--drain", type=float, default=300.0, help="seconds to wait for the analysis at the end")
    parser.add_argument("--seed", type=int, default=1404)
    add_json_option(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    with Stack("soak") as stack:
        try:
            return run(args, stack)
        except KeyboardInterrupt:
            print("Interrupted; stopping the stack", file=sys.stderr)
            return 130


if __name__ == "__main__":
    sys.exit(main())

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
5. after the last one, waits up to --drain seconds for every receipt to be analysed, reads /healthz and the
   supervisor's record, stops `serve` with SIGTERM as Ctrl-C would, and scans its log.

It prints receipts, stored, analysed, crashes and restarts per process, peak memory (RSS summed, and PSS, which
counts pages shared by forked processes once), the log lines that matter, and a JSON summary. Exit status 1 when
a receipt was not stored or not analysed, a process crashed, or the stack did not start or stop cleanly.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.intake import _RECEIPT, FORM_PATH, Browser, _texts, form_fields, select_options  # noqa: E402

PYTHON = sys.executable
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stack_env(var_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        HAMANDISHI_VAR_DIR=str(var_dir),
        DJANGO_READ_DOT_ENV="false",
        DJANGO_DEBUG="true",  # as `.env.example`, which `make run` copies
        FORM_MIN_FILL_SECONDS=str(FILL_SECONDS),
        SUBMIT_RATE_LIMIT="100000/600",
        PYTHONUNBUFFERED="1",
    )
    return env


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def memory_mb(root: int) -> tuple[float, float]:
    """(RSS summed, PSS summed) in MB over `root` and every process under it."""
    rss = pss = 0
    for pid in descendants(root):
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            continue  # a process that ended between the listing and the read
    return rss / 1024, pss / 1024


def get_json(port: int, path: str) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    except (OSError, http.client.HTTPException, ValueError):
        return 0, {}
    finally:
        conn.close()


def submit_one(port: int, rng: random.Random, texts, options: dict) -> tuple[str | None, str]:
    """One citizen sends one suggestion; (tracking code, '') on a receipt, else (None, what went wrong)."""
    browser = Browser(port, timeout=30)
    try:
        status, _, content = browser.request("GET", FORM_PATH)
        if status != 200:
            return None, f"GET /suggest/ answered {status}"
        page = content.decode()
        if not options:
            options.update(select_options(page))
        title, body = rng.choice(texts)
        data = {
            **form_fields(page),
            "role": rng.choice(options["role"]),
            "province": rng.choice(options["province"]),
            "topic": rng.choice(options["topic"]),
            "title": title,
            "body": body,
            "name": "",
            "email": "",
            "phone": "",
            "website": "",
        }
        time.sleep(FILL_SECONDS + 0.2)  # the person reads and types
        status, location, content = browser.request("POST", FORM_PATH, urllib.parse.urlencode(data).encode())
        receipt = _RECEIPT.search(location) if status == 302 else None
        if receipt is None:
            return None, f"POST answered {status} {location} {content[:200].decode(errors='replace')}"
        return receipt.group(1), ""
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{exc.__class__.__name__}: {exc}"
    finally:
        browser.close()


def stored_and_analysed(database: Path, codes: list[str]) -> tuple[int, int]:
    if not codes:
        return 0, 0
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as db:
        marks = ",".join("?" * len(codes))
        rows = db.execute(f"SELECT state FROM suggestions_suggestion WHERE tracking_code IN ({marks})", codes)
        states = [state for (state,) in rows]
    return len(states), sum(1 for state in states if state == "analysed")


def count_markers(log: Path) -> dict[str, int]:
    counts = dict.fromkeys(LOG_MARKERS, 0)
    with log.open(errors="replace") as lines:
        for line in lines:
            for key, marker in LOG_MARKERS.items():
                if marker in line:
                    counts[key] += 1
    return counts


def manage(args: list[str], env: dict, log) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, stdout=log, stderr=log, check=True)


def run(args) -> int:
    var_dir = Path(tempfile.mkdtemp(prefix="hamandishi-soak-"))
    env = stack_env(var_dir)
    port = free_port()
    log_path = var_dir / "serve.log"
    log = log_path.open("w")
    print(f"Soak: {args.minutes:g} min, a suggestion every {args.interval:g} s, stack in {var_dir}, port {port}")
    started = time.monotonic()
    manage(["migrate", "--noinput"], env, log)
    manage(["seed_demo"], env, log)
    print(f"  migrated and seeded in {time.monotonic() - started:.0f} s", flush=True)
    serve = subprocess.Popen(
        [PYTHON, "manage.py", "serve", "--bind", f"127.0.0.1:{port}"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    stopping = []
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    result = {"receipts": 0, "refused": 0, "refusals": [], "peak_rss_mb": 0.0, "peak_pss_mb": 0.0}
    codes: list[str] = []
    try:
        deadline = time.monotonic() + 180
        while get_json(port, "/healthz")[0] != 200:
            if serve.poll() is not None or time.monotonic() > deadline:
                print(f"The stack did not start; see {log_path}")
                return 1
            time.sleep(1)
        print(f"  stack answers after {time.monotonic() - started:.0f} s", flush=True)
        rng = random.Random(args.seed)
        texts = _texts(args.seed)
        options: dict[str, list[str]] = {}
        begin = time.monotonic()
        end = begin + args.minutes * 60
        next_report = begin + 60
        tick = begin
        while time.monotonic() < end and not stopping and serve.poll() is None:
            code, problem = submit_one(port, rng, texts, options)
            if code:
                codes.append(code)
            else:
                result["refusals"].append(problem)
            rss, pss = memory_mb(serve.pid)
            result["peak_rss_mb"] = max(result["peak_rss_mb"], rss)
            result["peak_pss_mb"] = max(result["peak_pss_mb"], pss)
            if time.monotonic() >= next_report:
                next_report += 60
                _, health = get_json(port, "/healthz")
                processes = health.get("processes", {}).values()
                crashes = sum(entry["crashes_last_hour"] for entry in processes)
                restarts = sum(entry["restarts"] for entry in processes)
                print(
                    f"  {(time.monotonic() - begin) / 60:5.1f} min  receipts {len(codes)}"
                    f"  refused {len(result['refusals'])}  RSS {rss:.0f} MB  PSS {pss:.0f} MB"
                    f"  crashes {crashes}  restarts {restarts}  /healthz {health.get('status')}",
                    flush=True,
                )
            tick += args.interval
            time.sleep(max(0.0, tick - time.monotonic()))
        result["soaked_minutes"] = round((time.monotonic() - begin) / 60, 2)
        result["receipts"], result["refused"] = len(codes), len(result["refusals"])
        drain_until = time.monotonic() + args.drain
        stored, analysed = stored_and_analysed(var_dir / "hamandishi.sqlite3", codes)
        while analysed < len(codes) and time.monotonic() < drain_until and serve.poll() is None:
            time.sleep(2)
            stored, analysed = stored_and_analysed(var_dir / "hamandishi.sqlite3", codes)
        result.update(stored=stored, analysed=analysed)
        result["healthz_status"], health = get_json(port, "/healthz")
        result["healthz_processes"] = health.get("processes")
        result["web_alive_at_end"] = serve.poll() is None
    finally:
        if serve.poll() is None:
            serve.send_signal(signal.SIGTERM)
        try:
            result["serve_exit_code"] = serve.wait(timeout=90)
        except subprocess.TimeoutExpired:
            serve.kill()
            result["serve_exit_code"] = "killed after 90 s"
        log.close()
    record = json.loads((var_dir / "supervisor.json").read_text())
    result["crashes"] = {name: len(p["crashes"]) for name, p in record["processes"].items()}
    result["restarts"] = {name: p["restarts"] for name, p in record["processes"].items()}
    result["log"] = count_markers(log_path)
    result["log_path"] = str(log_path)
    return report(result)


def report(result: dict) -> int:
    crashes, restarts = sum(result["crashes"].values()), sum(result["restarts"].values())
    print()
    print(f"soaked      {result['soaked_minutes']} min")
    print(f"receipts    {result['receipts']}   (refused: {result['refused']})")
    print(f"stored      {result['stored']}")
    print(f"analysed    {result['analysed']}")
    print(f"crashes     {crashes}   {result['crashes']}")
    print(f"restarts    {restarts}   {result['restarts']}")
    print(f"peak memory RSS {result['peak_rss_mb']:.0f} MB summed, PSS {result['peak_pss_mb']:.0f} MB")
    print(f"/healthz    {result['healthz_status']} at the end; web alive {result['web_alive_at_end']}")
    print(f"serve exit  {result['serve_exit_code']} after SIGTERM")
    print(f"log         {result['log']}  ({result['log_path']})")
    for problem in result["refusals"][:5]:
        print(f"refused:    {problem}")
    print(json.dumps({key: value for key, value in result.items() if key != "refusals"}))
    lost = result["stored"] < result["receipts"] or result["analysed"] < result["receipts"]
    clean_stop = result["serve_exit_code"] == 0
    return 1 if lost or crashes or not result["web_alive_at_end"] or not clean_stop else 0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0, help="how long to soak (default 30)")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between suggestions (default 10)")
    parser.add_argument("--drain", type=float, default=300.0, help="seconds to wait for the analysis at the end")
    parser.add_argument("--seed", type=int, default=1404)
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(run(parse_args()))

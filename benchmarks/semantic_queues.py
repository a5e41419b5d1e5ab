"""Analysis latency while a backlog of e5 vectors waits, by how the workers consume the two queues.

    flock /tmp/hamandishi-bench.lock .venv/bin/python benchmarks/semantic_queues.py none    # no vector worker
    flock /tmp/hamandishi-bench.lock .venv/bin/python benchmarks/semantic_queues.py shared  # one worker -c 2, both
    flock /tmp/hamandishi-bench.lock .venv/bin/python benchmarks/semantic_queues.py apart   # as `serve` runs them

Starts a private redis-server and a SQLite database under /tmp/semantic-queues/, queues 200 vectors, starts the
workers, then submits 40 suggestions two a second and prints the analysis latency (enqueue to analysed).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CELERY = [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool", "prefork"]
QUIET = ["--without-heartbeat", "--without-mingle", "--without-gossip", "--loglevel", "WARNING"]


def start_workers(config: str, env: dict) -> list[subprocess.Popen]:
    if config == "shared":
        return [
            subprocess.Popen([*CELERY, "-c", "2", "-Q", "celery,semantic", "-n", "a@%h", *QUIET], cwd=ROOT, env=env)
        ]
    workers = [subprocess.Popen([*CELERY, "-c", "2", "-Q", "celery", "-n", "a@%h", *QUIET], cwd=ROOT, env=env)]
    if config == "apart":
        command = ["nice", "-n", "19", *CELERY, "-c", "1", "-Q", "semantic", "-n", "s@%h", *QUIET]
        workers.append(subprocess.Popen(command, cwd=ROOT, env={**env, "OMP_NUM_THREADS": "1"}))
    return workers


def main(config: str) -> None:
    workdir = Path(f"/tmp/semantic-queues/{config}")
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "db.sqlite3").unlink(missing_ok=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    redis = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL
    )
    time.sleep(0.5)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "REDIS_URL": f"redis://127.0.0.1:{port}/0",
        "DJANGO_DEBUG": "true",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.utils import timezone

    from benchmarks.generate import generate
    from suggestions.choices import State
    from suggestions.models import Suggestion, SuggestionEmbedding, Topic
    from suggestions.services import enqueue_analysis, enqueue_embedding

    texts = [item.text for item in generate(400, seed=5) if item.kind == "original"]
    topic = Topic.objects.first()
    fields = {"role": "citizen", "province": "tehran", "topic": topic, "title": "پیشنهاد"}
    for n, text in enumerate(texts[:200]):
        waiting = Suggestion.objects.create(
            tracking_code=f"B{n:08d}",
            body=text,
            normalized_text=text,
            state=State.ANALYSED,
            analysed_at=timezone.now(),
            **fields,
        )
        enqueue_embedding(waiting.pk)
    workers = start_workers(config, env)
    try:
        time.sleep(8)  # the workers start and begin on the backlog
        sent = {}
        for n, text in enumerate(texts[200:240]):
            suggestion = Suggestion.objects.create(tracking_code=f"F{n:08d}", body=text, **fields)
            sent[suggestion.pk] = timezone.now()
            enqueue_analysis(suggestion.pk)
            time.sleep(0.5)
        deadline = time.time() + 120
        analysed = Suggestion.objects.filter(pk__in=sent, state=State.ANALYSED)
        while time.time() < deadline and analysed.count() < len(sent):
            time.sleep(0.5)
        done = dict(analysed.values_list("pk", "analysed_at"))
        latency = sorted((done[pk] - sent[pk]).total_seconds() * 1000 for pk in done)
        figures = {
            "config": config,
            "analysed": len(latency),
            "of": len(sent),
            "p50_ms": round(statistics.median(latency)),
            "p95_ms": round(latency[int(0.95 * len(latency)) - 1]),
            "max_ms": round(latency[-1]),
            "vectors_stored": SuggestionEmbedding.objects.filter(state=SuggestionEmbedding.State.STORED).count(),
        }
        print(json.dumps(figures))
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        redis.kill()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "apart")

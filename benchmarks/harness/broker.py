"""A redis-server of the run's own on a free loopback port: the machine's Redis is never flushed nor touched."""

from __future__ import annotations

import os
import time
from pathlib import Path

from benchmarks.harness.processes import HOST, Stack, free_port


class PrivateRedis:
    """Configured as production wants a broker: never evict (a task must not vanish under memory pressure) and
    append every write to a file fsynced each second, so a stop and a start keep the queue."""

    def __init__(self, stack: Stack, workdir: Path | None = None):
        self.stack = stack
        self.port = free_port()
        self.url = f"redis://{HOST}:{self.port}/0"
        self.workdir = workdir or stack.logdir
        self.starts = 0

    @property
    def name(self) -> str:
        return "redis" if self.starts <= 1 else f"redis-{self.starts}"

    @property
    def pid(self) -> int:
        return self.stack.procs[self.name].pid

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", HOST, "--dir", str(self.workdir)]
        command += ["--appendonly", "yes", "--appendfsync", "everysec", "--maxmemory-policy", "noeviction"]
        command += ["--save", "", "--protected-mode", "yes"]
        self.starts += 1
        self.stack.start(self.name, command, dict(os.environ))
        deadline = time.monotonic() + 30
        while not self.answers():
            self.stack.check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not answer on port {self.port}:\n{self.stack.tail(self.name)}")
            time.sleep(0.1)

    def answers(self) -> bool:
        import redis

        try:
            return redis.Redis.from_url(self.url, socket_timeout=0.5, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        """SIGTERM: Redis writes its AOF out and exits, as under `systemctl stop`."""
        self.stack.stop_one(self.name)


def start_private_redis(stack: Stack) -> PrivateRedis:
    """A private Redis answering at `.url`; `stack.stop()` (or `.stop()`) ends it."""
    server = PrivateRedis(stack)
    server.start()
    return server

"""Processes a benchmark starts, each in a session of its own with its log in one directory, and the CPU they use.

Every process started through a `Stack` is stopped by `Stack.stop()`, the whole process group at once (gunicorn's
or Celery's master and its children), by id: nothing else on the machine is touched.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
HOST = "127.0.0.1"  # loopback only


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Stack:
    """The processes of one run. `with Stack("intake") as stack:` stops them all on the way out, Ctrl-C included."""

    def __init__(self, name: str = "bench", logdir: Path | None = None):
        self.logdir = logdir or Path(tempfile.mkdtemp(prefix=f"hamandishi-{name}-"))
        self.procs: dict[str, subprocess.Popen] = {}

    def __enter__(self) -> Stack:
        # SIGTERM takes the same way out as Ctrl-C, through __exit__, which stops every process started here.
        signal.signal(signal.SIGTERM, _interrupt)
        return self

    def __exit__(self, *exc) -> None:
        with contextlib.suppress(Exception):
            self.stop()

    def start(self, name: str, command: list[str], env: dict) -> subprocess.Popen:
        log = open(self.logdir / f"{name}.log", "wb")  # noqa: SIM115 - the child holds it for its lifetime
        # A session of its own: Ctrl-C in the terminal reaches only the benchmark, which then stops the group.
        self.procs[name] = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        return self.procs[name]

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.tail(name)}")

    def tail(self, name: str, lines: int = 25) -> str:
        path = self.logdir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def stop_one(self, name: str, timeout: float = 30) -> int:
        """SIGTERM to one process, as Ctrl-C or a service manager asks it to stop (it stops its own children);
        its exit code. Its group is killed only if it has not ended after `timeout` seconds."""
        proc = self.procs.pop(name)
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            signal_group(proc.pid, signal.SIGKILL)
            proc.wait()
            return -signal.SIGKILL

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                signal_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, deadline - time.monotonic()))
            # The master may be gone while a child of its group lingers; SIGKILL the group either way.
            signal_group(proc.pid, signal.SIGKILL)
            proc.wait()
        self.procs.clear()


def signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


# ---------------------------------------------------------------------------------------------------------------
# CPU accounting: which process group used how many cores during a phase, read from /proc.
# ---------------------------------------------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(groups: dict[str, int]) -> dict[str, int]:
    """CPU ticks so far of each named process group, of every postgres and redis-server, and of the machine."""
    ticks = dict.fromkeys([*groups, "postgres", "redis"], 0)
    by_pgid = {pgid: name for name, pgid in groups.items()}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        used = int(fields[11]) + int(fields[12])  # utime + stime
        name = by_pgid.get(int(fields[2]))
        if name is None and comm.startswith("postgres"):
            name = "postgres"
        elif name is None and comm.startswith("redis-server"):
            name = "redis"
        if name is not None:
            ticks[name] += used
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    ticks["machine"] = sum(values) - values[3] - values[4]  # all but idle and iowait
    return ticks


def cores_used(before: dict[str, int], after: dict[str, int], elapsed: float) -> dict[str, float]:
    return {name: round((after[name] - before[name]) / _TICK / elapsed, 2) for name in before}

"""Peak memory: of this process, of its finished children, and of a running process tree sampled meanwhile."""

from __future__ import annotations

import resource
import threading
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak resident memory (`ru_maxrss`), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_rss_mb() -> float:
    """The largest peak of any child this process has waited for, in MB."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def descendants(root: int) -> list[int]:
    """`root` and every process under it."""
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


def tree_memory_mb(root: int) -> tuple[float, float]:
    """(RSS summed, PSS summed) in MB over `root` and every process under it. PSS counts the pages forked
    processes share once, so it is what the tree really costs; summed RSS counts them in every process."""
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


class PeakSampler:
    """Samples a process tree's memory every `interval` seconds in a thread; `.peak_rss_mb`, `.peak_pss_mb`.

    with PeakSampler(serve.pid) as memory:
        ...
    print(memory.peak_rss_mb)
    """

    def __init__(self, root: int, interval: float = 1.0):
        self.root, self.interval = root, interval
        self.peak_rss_mb = self.peak_pss_mb = self.last_rss_mb = self.last_pss_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> tuple[float, float]:
        self.last_rss_mb, self.last_pss_mb = tree_memory_mb(self.root)
        self.peak_rss_mb = max(self.peak_rss_mb, self.last_rss_mb)
        self.peak_pss_mb = max(self.peak_pss_mb, self.last_pss_mb)
        return self.last_rss_mb, self.last_pss_mb

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> PeakSampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

"""What a process keeps between requests and tasks, in one place with one reset.

Each slot is filled lazily by the module that owns it and read again from here, so a test, or a process that
learns the database or Redis was emptied under it, forgets every kept thing with `process_caches.reset()`:

- `band_index`: the band index of MinHash signatures (Redis-backed, or in memory synced from the database);
- `signatures`: stored MinHash signatures by suggestion id, which never change once made;
- `snapshot`: the latest re-clustering's vectoriser and theme model, loaded once per version;
- `refused_snapshot`: the key of a stored snapshot this release cannot read, so it is refused and logged once;
- `pools`: the lexical vectors of the most recent members of the themes searched last;
- `pools_made_for`: the key of the snapshot whose largest themes' pools were made ahead of their first look-up;
- `vectors`: the e5 vector matrix of the semantic tier;
- `topics`: the active topics and when they were read;
- `blank_forms`: the blank suggestion form rendered once per set of topics.
"""

import threading
from collections import OrderedDict
from typing import Any


class ProcessCaches:
    def __init__(self) -> None:
        # Reentrant: a slot's maker may read another slot.
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Forget everything this process keeps; each slot is filled again on its next use."""
        with self.lock:
            self.band_index: Any = None
            self.signatures: Any = None
            self.snapshot: Any = None
            self.refused_snapshot: tuple | None = None
            self.pools: OrderedDict[tuple, Any] = OrderedDict()  # pipeline.Pool by (snapshot, theme)
            self.pools_made_for: tuple | None = None
            self.vectors: Any = None
            self.topics: tuple[float, tuple] | None = None
            self.blank_forms: dict[tuple, str] = {}

    def get_or_make(self, slot: str, make):
        """The value in `slot`, made by `make()` (once, under the lock) when the slot is empty."""
        with self.lock:
            value = getattr(self, slot)
            if value is None:
                value = make()
                setattr(self, slot, value)
            return value


process_caches = ProcessCaches()

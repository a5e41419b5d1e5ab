"""Rows written straight into PostgreSQL with COPY, for benchmarks that need a large collection quickly.

The columns follow the models as the migrations leave them; a benchmark that fails here after a migration
needs its rows updated, not the product.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from benchmarks.harness.corpus import idea, noise

# The columns a benchmark fills when it COPYs suggestions in, in the order of its rows. Columns added since (such
# as `idea_by_reviewer`, which has no database default) are named after these by each benchmark.
SUGGESTION_COLUMNS = (
    "id, tracking_code, role, province, topic_id, title, body, normalized_text, match_text, fingerprint, "
    "duplicate_group_id, duplicate_score, state, attempts, last_error, ip_hash, source, created_at, "
    "state_changed_at, analyzed_at, updated_at, awaiting_enqueue"
)


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def texts(rng: random.Random, count: int) -> list[tuple[str, str, str]]:
    """Distinct Persian texts (title, body, match form); rows reuse them, as copies and campaigns do anyway.
    Every 50th carries a rare word of its own (`واژهٔ‌نادر<n>`) for searches that find few rows."""
    from suggestions.analysis import match_form

    made = []
    for n in range(count):
        body = idea(rng)[:220]
        if n % 3 == 0:
            body = noise(body, rng)
        if n % 50 == 0:
            body += f" واژهٔ‌نادر{n}"
        title = " ".join(body.split()[1:6])[:140] or "پیشنهاد"
        made.append((title, body, match_form(f"{title}\n{body}")))
    return made


def copy_duplicate_groups(cursor, groups, *, moment_of) -> None:
    """COPY planned (id, kind, canonical id, size) groups in, first and last seen when their canonical came."""
    with cursor.copy(
        "COPY suggestions_duplicategroup (id, kind, canonical_id, score, size, first_seen, last_seen, "
        "canonical_chosen_by_reviewer) FROM STDIN"
    ) as copy:
        for gid, kind, canonical, size in groups:
            moment = iso(moment_of(canonical))
            copy.write_row((gid, kind, canonical, 0.9, size, moment, moment, False))

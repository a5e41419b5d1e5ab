"""The one writer of duplicate groups, separate pairs, ideas, themes, theme memberships and theme snapshots.

The analysis (`suggestions.pipeline`), the reviewer's decisions (`review.services`) and the boards
(`review.boards.services`) all change these tables through the verbs below, so a rule about them (a group of one
is no group, a separated pair is never merged, a reviewer's placement outlives every re-clustering) holds
whoever writes. Each verb is keyword-only, typed and atomic, takes its row locks itself and writes no audit row:
the caller that acts for a person records what it did in its own transaction. A request that cannot be carried
out raises `GroupingError` with a Persian message before anything is written.

Locks are taken in one order: theme and duplicate-group rows first (in id order), then idea rows (in id order),
then suggestion rows (in id order), so two writers never wait for each other in a circle.
"""

from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from contextlib import contextmanager
from datetime import datetime

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from common.errors import Refused
from common.persian import persian_digits
from suggestions import analysis
from suggestions.analysis.ideas import carry_ids
from suggestions.models import (
    DuplicateGroup,
    GroupKind,
    Idea,
    SeparatePair,
    Suggestion,
    Theme,
    ThemeMembership,
    ThemeSnapshot,
)
from suggestions.sql import as_read_by_the_orm, locking, marks

SNAPSHOTS_KEPT = 3

_SUGGESTIONS = Suggestion._meta.db_table
_GROUPS = DuplicateGroup._meta.db_table
_IDEAS = Idea._meta.db_table
_PAIRS = SeparatePair._meta.db_table


class GroupingError(Refused):
    """A change to groups or themes that cannot be made; the message is Persian and safe to show."""


@contextmanager
def sent_together():
    """Statements sent without waiting for each one's answer, in one round trip until one is asked for a row or the
    block ends (PostgreSQL's pipeline mode; elsewhere each is sent as usual). Inside, only statements written out in
    SQL whose row counts nobody reads: a statement's row count is not known until the round trip ends (a
    queryset's update or save reads it). An error surfaces when the block ends, as Django's own error."""
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield


# Duplicate groups ---------------------------------------------------------------------------------------


def join_duplicate_group(*, suggestion: Suggestion, original: Suggestion, by_reviewer: bool = False) -> DuplicateGroup:
    """Put `suggestion` in the duplicate group of `original`, made with `original` as its canonical member when it
    has none; a group `suggestion` was in is left first. The analysis scores the member against the canonical
    text; a reviewer's mark carries no score. Refused for a suggestion and itself, and for a suggestion a
    reviewer separated from a member of that group.

    Of `original` only the id is read. Inside a caller's transaction (an analysis) no savepoint is taken: a
    refusal is raised once the block is left, before anything was written, so the caller's transaction goes on."""
    if suggestion.pk == original.pk:
        raise GroupingError("یک پیشنهاد نمی‌تواند تکراریِ خودش باشد.")
    with transaction.atomic(savepoint=False):
        group = _join(suggestion, original, by_reviewer)
    if group is None:
        raise GroupingError("کارشناسی پیش‌تر گفته است این پیشنهاد تکراریِ یکی از اعضای این گروه نیست.")
    return group


def _join(suggestion: Suggestion, original: Suggestion, by_reviewer: bool) -> DuplicateGroup | None:
    """`join_duplicate_group` under its transaction; None when a reviewer kept them apart (nothing written)."""
    locked: dict[int, DuplicateGroup] = {}
    facts: dict[int, dict] = {}
    own_id, target_id = _locked_groups_of(suggestion.pk, original.pk, rows=locked, facts=facts)
    if target_id is not None and own_id == target_id:
        return locked[target_id]
    if facts[suggestion.pk]["separated"] and _separated_from_group(suggestion.pk, target_id, original.pk):
        return None
    if own_id is not None:
        _leave(suggestion.pk, own_id)
    group = _new_group(facts[original.pk]) if target_id is None else locked[target_id]
    if group.canonical_id not in facts:
        facts.update(_facts_of([group.canonical_id]))
    joined, canonical = facts[suggestion.pk], facts[group.canonical_id]
    score = None if by_reviewer else _score_against(joined, canonical)
    idea = _idea_of_group(joined, canonical)
    counted = own_id is None or target_id is None
    if counted:
        _count_joined(group, joined, canonical, score)
    if group.pk is None:
        group.save(force_insert=True)
    # The writes whose answers nobody reads go in one round trip, written out in SQL (`sent_together`).
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with sent_together(), connection.cursor() as cursor:
        if target_id is None:
            _write_canonical(cursor, group)
        _write_member(cursor, suggestion.pk, group.pk, score, idea, now)
        if idea and joined["idea_id"] is None:  # a newcomer: the idea it joined grows by one, counted in place
            cursor.execute(f"UPDATE {_IDEAS} SET size = size + 1, updated_at = %s WHERE id = %s", [now, idea])
        if counted and target_id is not None:
            _write_figures(cursor, group)
    _mark_joined(suggestion, original, group, score, idea)
    if idea and joined["idea_id"] is not None:
        _recount_ideas({idea, joined["idea_id"]})
    if own_id is not None:
        # It left a group first, which may have been the target's: count every member again.
        _refresh_group(group.pk)
        group.refresh_from_db()
    return group


def join_new_copies(pairs: list[tuple[Suggestion, Suggestion]]) -> bool:
    """`join_duplicate_group` for an analyzed batch's copies, (suggestion, original) in the batch's order, each as it
    would join after the ones before it, in a few statements however many: the groups of all and then all the
    suggestions are locked once (`_locked_groups_of`), the groups made go in one INSERT and the suggestions', the
    groups' and the ideas' figures in one round trip. Only the plain case: a newcomer in no group, never separated
    by a reviewer, in no idea yet. False, with nothing written, when any pair is not; the caller then joins them one
    at a time."""
    if not pairs:
        return True
    locked: dict[int, DuplicateGroup] = {}
    facts: dict[int, dict] = {}
    pks = sorted({pk for suggestion, original in pairs for pk in (suggestion.pk, original.pk)})
    group_of = dict(zip(pks, _locked_groups_of(*pks, rows=locked, facts=facts), strict=True))
    for suggestion, original in pairs:
        joined = facts[suggestion.pk]
        if (
            suggestion.pk == original.pk
            or group_of[suggestion.pk] is not None
            or joined["separated"]
            or joined["idea_id"] is not None
        ):
            return False
    groups: dict[int, DuplicateGroup] = {}  # by canonical member: those locked and those made here
    for group in locked.values():
        groups[group.canonical_id] = group
    missing = [canonical for canonical in groups if canonical not in facts]
    if missing:
        facts.update(_facts_of(missing))
    canonical_of = {pk: locked[group_id].canonical_id for pk, group_id in group_of.items() if group_id is not None}
    made: list[DuplicateGroup] = []
    joins: list[tuple[Suggestion, Suggestion, DuplicateGroup, float, int | None]] = []
    for suggestion, original in pairs:
        joined = facts[suggestion.pk]
        canonical_id = canonical_of.get(original.pk)
        if canonical_id is None:
            groups[original.pk] = group = _new_group(facts[original.pk])
            made.append(group)
            canonical_of[original.pk] = canonical_id = original.pk
        group = groups[canonical_id]
        canonical = facts[canonical_id]
        score = _score_against(joined, canonical)
        idea = _idea_of_group(joined, canonical)
        _count_joined(group, joined, canonical, score)
        canonical_of[suggestion.pk] = canonical_id
        joins.append((suggestion, original, group, score, idea))
    if made:
        DuplicateGroup.objects.bulk_create(made)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    grown = Counter(idea for *_, idea in joins if idea)
    with sent_together(), connection.cursor() as cursor:
        for group in made:
            _write_canonical(cursor, group)
        for suggestion, _, group, score, idea in joins:
            _write_member(cursor, suggestion.pk, group.pk, score, idea, now)
        for idea, count in sorted(grown.items()):
            cursor.execute(f"UPDATE {_IDEAS} SET size = size + %s, updated_at = %s WHERE id = %s", [count, now, idea])
        for group in sorted((g for g in groups.values() if g.pk in locked), key=lambda g: g.pk):
            _write_figures(cursor, group)
    for suggestion, original, group, score, idea in joins:
        _mark_joined(suggestion, original, group, score, idea)
    return True


def _new_group(canonical: dict) -> DuplicateGroup:
    """A group begun by the suggestion of these facts (`_facts_of`), not saved: made with its final figures, in
    one insert."""
    arrived = canonical["created_at"]
    return DuplicateGroup(canonical_id=canonical["pk"], first_seen=arrived, last_seen=arrived, size=1)


def _write_canonical(cursor, group: DuplicateGroup) -> None:
    """A new group's canonical member put in it, with the score of the original."""
    cursor.execute(
        f"UPDATE {_SUGGESTIONS} SET duplicate_group_id = %s, duplicate_score = 1.0 WHERE id = %s",
        [group.pk, group.canonical_id],
    )


def _mark_joined(suggestion: Suggestion, original: Suggestion, group: DuplicateGroup, score, idea) -> None:
    """The objects in hand as the join left their rows."""
    suggestion.duplicate_group, suggestion.duplicate_score = group, score
    if idea:
        suggestion.idea_id = idea
    if original.pk == group.canonical_id:
        original.duplicate_group, original.duplicate_score = group, 1.0


def _write_member(cursor, pk: int, group_id: int, score: float | None, idea: int | None, now) -> None:
    """A suggestion's group, its score against the canonical member and, when given, the idea it takes."""
    cursor.execute(
        f"UPDATE {_SUGGESTIONS} SET duplicate_group_id = %s, duplicate_score = %s, updated_at = %s"
        + (", idea_id = %s" if idea else "")
        + " WHERE id = %s",
        [group_id, score, now, *([idea] if idea else []), pk],
    )


def _write_figures(cursor, group: DuplicateGroup) -> None:
    """A group's figures as `_count_joined` moved them."""
    cursor.execute(
        f"UPDATE {_GROUPS} SET size = %s, first_seen = %s, last_seen = %s, score = %s, kind = %s WHERE id = %s",
        [
            group.size,
            connection.ops.adapt_datetimefield_value(group.first_seen),
            connection.ops.adapt_datetimefield_value(group.last_seen),
            group.score,
            group.kind,
            group.pk,
        ],
    )


# What joining a group needs to know of the newcomer and the canonical member: when each arrived, its fingerprint
# and signature, its idea, and (for the newcomer) whether a reviewer ever separated it from anything. Read in SQL
# written out (`_facts_of`): on a worker each analysis that joins a group reads them under locks, and a queryset
# compiled for each cost more than the statement.
_FACTS = ("pk", "duplicate_group_id", "created_at", "fingerprint", "signature", "idea_id", "idea_by_reviewer")
_FACT_FIELDS = [
    Suggestion._meta.pk,
    *(Suggestion._meta.get_field(name) for name in _FACTS[1:]),
    Idea._meta.get_field("is_active"),
]
_FACTS_READ = (
    f"SELECT s.id, s.duplicate_group_id, s.created_at, s.fingerprint, s.signature, s.idea_id, s.idea_by_reviewer, "
    f"i.is_active, EXISTS (SELECT 1 FROM {_PAIRS} p WHERE p.first_id = s.id OR p.second_id = s.id) "
    f"FROM {_SUGGESTIONS} s LEFT JOIN {_IDEAS} i ON i.id = s.idea_id WHERE s.id IN ({{marks}}) ORDER BY s.id"
)


def _facts_of(pks, lock: str = "") -> dict[int, dict]:
    """`_FACTS` of these suggestions and `idea_active`, `separated`, as the ORM would give them, by id; `lock`
    ends the statement."""
    with connection.cursor() as cursor:
        cursor.execute(_FACTS_READ.format(marks=marks(pks)) + lock, list(pks))
        rows = as_read_by_the_orm(_FACT_FIELDS, cursor.fetchall())
    names = (*_FACTS, "idea_active")
    return {row[0]: {**dict(zip(names, row[:-1], strict=True)), "separated": bool(row[-1])} for row in rows}


def _separated_from_group(pk: int, group_id: int | None, alone: int) -> bool:
    """Whether a reviewer separated this suggestion from a member of a group (from `alone`, a suggestion in none),
    in one statement however large the group."""
    if group_id is None:
        return separated_among(pk, [alone])
    members = Suggestion.objects.filter(duplicate_group_id=group_id).exclude(pk=pk).values("pk")
    return SeparatePair.objects.filter(
        Q(first_id=pk, second_id__in=members) | Q(second_id=pk, first_id__in=members)
    ).exists()


def _count_joined(group: DuplicateGroup, joined: dict, canonical: dict, score: float | None) -> None:
    """A group's figures after one suggestion joined it, moved from the locked row's own (`_refresh_group` counts
    every member again, a read that grows with the group): the size, the first and last time seen, the lowest
    score, and the kind, which stays exact only while the newcomer has the text of the canonical member. The
    caller writes them."""
    group.size += 1
    group.first_seen = min(group.first_seen, joined["created_at"])
    group.last_seen = max(group.last_seen, joined["created_at"])
    if score is not None:
        group.score = min(group.score, score)
    if group.kind != GroupKind.EXACT or joined["fingerprint"] != canonical["fingerprint"]:
        group.kind = GroupKind.CAMPAIGN if group.size >= analysis.CAMPAIGN_MIN_SIZE else GroupKind.NEAR


@transaction.atomic
def leave_duplicate_group(*, suggestion: Suggestion, group: DuplicateGroup | None = None) -> DuplicateGroup | None:
    """Take a suggestion out of its duplicate group (refused when `group` is given and it is not a member). A
    group left with one member is dissolved (None is returned); one that lost its canonical member hands that role
    to its earliest member and is rescored."""
    if group is not None:
        locked_duplicate_group(group.pk)
    (group_id,) = _locked_groups_of(suggestion.pk)
    if group is not None and group_id != group.pk:
        raise GroupingError("این پیشنهاد عضو این گروه نیست.")
    suggestion.duplicate_group, suggestion.duplicate_score = None, None
    if group_id is None:
        return None
    return _leave(suggestion.pk, group_id)


@transaction.atomic
def choose_canonical(*, group: DuplicateGroup, suggestion: Suggestion) -> DuplicateGroup:
    """Make one member the group's canonical text, as a reviewer's choice; every member is scored against it."""
    group = locked_duplicate_group(group.pk)
    members = member_ids(group.pk)
    _require_member(suggestion.pk, members)
    if group.canonical_id == suggestion.pk:
        raise GroupingError("این پیشنهاد هم‌اکنون نمونهٔ اصلی گروه است.")
    group.canonical_id = suggestion.pk
    group.canonical_chosen_by_reviewer = True
    group.save(update_fields=["canonical", "canonical_chosen_by_reviewer"])
    _rescore_group(group, members)
    _refresh_group(group.pk)
    group.refresh_from_db()
    return group


@transaction.atomic
def mark_separate(*, group: DuplicateGroup, suggestion: Suggestion) -> tuple[DuplicateGroup | None, int]:
    """Take a member out of its group and remember it differs from every other member, so nothing merges any
    of those pairs again. Returns the group (None when too few were left to keep it) and the pairs written."""
    group = locked_duplicate_group(group.pk)
    members = member_ids(group.pk)
    _require_member(suggestion.pk, members)
    others = [pk for pk in members if pk != suggestion.pk]
    SeparatePair.objects.bulk_create(
        [SeparatePair(first_id=min(pk, suggestion.pk), second_id=max(pk, suggestion.pk)) for pk in others],
        ignore_conflicts=True,  # a pair separated before stays one row
        batch_size=1000,
    )
    suggestion.duplicate_group, suggestion.duplicate_score = None, None
    return _leave(suggestion.pk, group.pk), len(others)


def separated_from(pk: int) -> set[int]:
    """The suggestions a reviewer said are not duplicates of this one. In SQL, as the worker reads it for each
    analysis: a queryset compiled each time cost more than the statement."""
    return separated_from_each([pk])[pk]


def separated_from_each(pks: Iterable[int]) -> dict[int, set[int]]:
    """`separated_from` of each of these suggestions, in one statement (a batch's analysis)."""
    pks = list(pks)
    apart: dict[int, set[int]] = {pk: set() for pk in pks}
    if not pks:
        return apart
    table = SeparatePair._meta.db_table
    marks = ", ".join(["%s"] * len(pks))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT first_id, second_id FROM {table} WHERE first_id IN ({marks}) OR second_id IN ({marks})", pks * 2
        )
        for first, second in cursor.fetchall():
            if first in apart:
                apart[first].add(second)
            if second in apart:
                apart[second].add(first)
    return apart


def separated_among(pk: int, others: Iterable[int]) -> bool:
    """Whether a reviewer separated this suggestion from any of `others`."""
    others = [other for other in others if other != pk]
    return SeparatePair.objects.filter(
        Q(first_id=pk, second_id__in=others) | Q(second_id=pk, first_id__in=others)
    ).exists()


def stored_signatures(pks) -> dict[int, np.ndarray]:
    rows = Suggestion.objects.filter(pk__in=list(pks), signature__isnull=False).values_list("pk", "signature")
    return {pk: analysis.signature_from_bytes(sig) for pk, sig in rows}


def _locked_groups_of(
    *pks: int, rows: dict[int, DuplicateGroup] | None = None, facts: dict[int, dict] | None = None
) -> list[int | None]:
    """Each suggestion's duplicate group id, read with the groups and then the suggestions locked, so neither
    changes until the transaction ends: the groups the suggestions are in are locked in one statement, then the
    suggestions, reading their groups again; a group changed between the two is locked too. The locked groups, as
    they were read with their locks, go into `rows` when it is given, and what `_facts_of` reads of the
    suggestions, read with their locks, into `facts`. Written out in SQL: each analysis that joins a group comes
    here."""
    kept = {} if rows is None else rows
    read = {} if facts is None else facts
    fields = DuplicateGroup._meta.concrete_fields
    groups = (
        f"SELECT {', '.join(field.column for field in fields)} FROM {_GROUPS} WHERE id IN "
        f"(SELECT duplicate_group_id FROM {_SUGGESTIONS} WHERE id IN ({marks(pks)})) ORDER BY id{locking()}"
    )
    names = [field.attname for field in fields]
    while True:
        with connection.cursor() as cursor:  # a fresh read each time round
            cursor.execute(groups, list(pks))
            found = as_read_by_the_orm(fields, cursor.fetchall())
        kept.update((row[0], DuplicateGroup.from_db(connection.alias, names, row)) for row in found)
        read.clear()
        # FOR NO KEY UPDATE of the suggestions alone: the foreign-key checks of rows naming them never wait for it.
        read.update(_facts_of(pks, lock=locking(of="s", no_key=True)))
        current = {pk: row["duplicate_group_id"] for pk, row in read.items()}
        if {group_id for group_id in current.values() if group_id is not None} <= set(kept):
            return [current.get(pk) for pk in pks]


def locked_duplicate_group(group_id: int) -> DuplicateGroup:
    """The group, locked until the transaction ends; refused when another reviewer dissolved it."""
    locked = DuplicateGroup.objects.select_for_update().filter(pk=group_id).first()
    if locked is None:
        raise GroupingError("این گروه دیگر وجود ندارد؛ شاید کارشناس دیگری آن را از هم جدا کرده است.")
    return locked


def member_ids(group_id: int) -> list[int]:
    """A group's members, earliest first."""
    members = Suggestion.objects.filter(duplicate_group_id=group_id).order_by("created_at", "pk")
    return list(members.values_list("pk", flat=True))


def _require_member(pk: int, member_ids: list[int]) -> None:
    if pk not in member_ids:
        raise GroupingError("این پیشنهاد عضو این گروه نیست.")


def _leave(pk: int, group_id: int) -> DuplicateGroup | None:
    """The caller holds the group's lock."""
    now = timezone.now()
    Suggestion.objects.filter(pk=pk).update(duplicate_group=None, duplicate_score=None, updated_at=now)
    group = DuplicateGroup.objects.filter(pk=group_id).first()
    if group is None:
        return None
    rest = member_ids(group_id)
    if len(rest) < 2:
        # One suggestion alone is no group: the last member reads as a unique suggestion again.
        Suggestion.objects.filter(pk__in=rest).update(duplicate_group=None, duplicate_score=None, updated_at=now)
        group.delete()
        return None
    if group.canonical_id == pk:
        # The earliest remaining member stands in, as the analysis itself would have chosen.
        group.canonical_id = rest[0]
        group.canonical_chosen_by_reviewer = False
        group.save(update_fields=["canonical", "canonical_chosen_by_reviewer"])
        _rescore_group(group, rest)
    _refresh_group(group.pk)
    group.refresh_from_db()
    return group


def _score_against(member: dict, canonical: dict) -> float:
    if member["signature"] is None or canonical["signature"] is None:
        return 1.0
    signatures = [analysis.signature_from_bytes(facts["signature"]) for facts in (member, canonical)]
    return float(analysis.estimated_jaccard(*signatures))


def _rescore_group(group: DuplicateGroup, member_ids: list[int]) -> None:
    """Each member's score is its estimated similarity to the canonical member, as the analysis wrote it."""
    signatures = stored_signatures(member_ids)
    base = signatures.get(group.canonical_id)
    changed = []
    for pk in member_ids:
        if pk == group.canonical_id:
            score = 1.0
        elif base is not None and pk in signatures:
            score = float(analysis.estimated_jaccard(signatures[pk], base))
        else:
            continue
        changed.append(Suggestion(pk=pk, duplicate_score=score))
    Suggestion.objects.bulk_update(changed, ["duplicate_score"], batch_size=1000)


def _idea_of_group(joined: dict, canonical: dict) -> int | None:
    """A copy is the idea of the text it copies: a suggestion joining a group between re-clusterings is counted
    in the group's idea at once (None: it keeps its own). A reviewer's choice of idea for it is kept."""
    target = canonical["idea_id"] if canonical["idea_active"] else None
    if joined["idea_by_reviewer"] or target is None or target == joined["idea_id"]:
        return None
    return target


def _refresh_group(group_id: int) -> None:
    """Recount a group's size, first and last time seen, lowest score and kind from its members."""
    members = Suggestion.objects.filter(duplicate_group_id=group_id)
    figures = members.aggregate(
        size=Count("pk"), first=Min("created_at"), last=Max("created_at"), score=Min("duplicate_score")
    )
    fingerprints = list(members.values_list("fingerprint", flat=True))
    fields = {"size": figures["size"], "score": figures["score"] or 1.0}
    fields["kind"] = GroupKind(analysis.group_kind(fingerprints))
    if figures["first"]:
        fields["first_seen"], fields["last_seen"] = figures["first"], figures["last"]
    DuplicateGroup.objects.filter(pk=group_id).update(**fields)


# Themes -------------------------------------------------------------------------------------------------


# Without a savepoint inside a caller's transaction (an analysis): two statements fewer, and a failure here fails
# the caller's transaction, as it would anyway.
@transaction.atomic(savepoint=False)
def place_in_theme(*, suggestion: Suggestion, theme_id: int, score: float) -> bool:
    """Put a suggestion in a theme as the analysis's choice. A reviewer's placement is never overridden, and a
    theme retired or gone meanwhile is not joined. Returns whether the placement changed.

    A few statements however large the theme: the sizes of the theme joined and the theme left move by one in
    place (the join also locks the theme row and checks it is still active), never by a count of its members.
    Written out in SQL, as each analysis places its suggestion: three querysets compiled cost more than the
    statements."""
    memberships, themes = ThemeMembership._meta.db_table, Theme._meta.db_table
    lock = locking()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, theme_id, source FROM {memberships} WHERE suggestion_id = %s{lock}", [suggestion.pk]
        )
        current = cursor.fetchone()
        if current is not None and (current[2] == ThemeMembership.Source.REVIEWER or current[1] == theme_id):
            return False
        # RETURNING rather than the row count, which a caller's `sent_together` leaves unknown.
        cursor.execute(
            f"UPDATE {themes} SET size = size + 1, updated_at = %s WHERE id = %s AND is_active RETURNING id",
            [now, theme_id],
        )
        if cursor.fetchone() is None:
            return False
        placement = [theme_id, float(score), ThemeMembership.Source.MACHINE, now]
        if current is None:
            cursor.execute(
                f"INSERT INTO {memberships} (theme_id, score, source, assigned_at, suggestion_id) "
                "VALUES (%s, %s, %s, %s, %s)",
                [*placement, suggestion.pk],
            )
        else:
            cursor.execute(
                f"UPDATE {memberships} SET theme_id = %s, score = %s, source = %s, assigned_at = %s WHERE id = %s",
                [*placement, current[0]],
            )
            cursor.execute(f"UPDATE {themes} SET size = size - 1, updated_at = %s WHERE id = %s", [now, current[1]])
    return True


def place_in_themes(placements: list[tuple[int, int | None, int | None, float]]) -> dict[int, int]:
    """`place_in_theme` for the suggestions of an analyzed batch, in its order, as each would be placed after the ones
    before it. Each placement is (suggestion, the suggestion it follows, its nearest theme, score): one that follows
    another (a copy, its group's canonical member) takes the theme that one is in by then, placed earlier in the
    batch or before it, else its nearest theme (None: none). Returns the theme each suggestion placed here joined.

    A few statements however large the batch, where one placement at a time took four each: the batch's
    memberships are locked (in suggestion order) and read with those of the suggestions they follow, the themes
    involved are locked in id order and the active ones read; the new memberships go in one INSERT and each
    theme's size moves once, by the batch's net count."""
    if not placements:
        return {}
    memberships, themes = ThemeMembership._meta.db_table, Theme._meta.db_table
    lock = locking()
    own = [pk for pk, *_ in placements]
    followed = sorted({leader for _, leader, *_ in placements if leader is not None} - set(own))
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT suggestion_id, id, theme_id, score, source FROM {memberships} WHERE suggestion_id IN "
            f"({marks(own)}) ORDER BY suggestion_id{lock}",
            own,
        )
        current = {pk: (row, theme, score, source) for pk, row, theme, score, source in cursor.fetchall()}
        if followed:
            cursor.execute(
                f"SELECT suggestion_id, theme_id, score FROM {memberships} WHERE suggestion_id IN ({marks(followed)})",
                followed,
            )
            current.update((pk, (None, theme, score, None)) for pk, theme, score in cursor.fetchall())
        involved = {theme for _, _, theme, _ in placements if theme is not None}
        involved |= {theme for _, theme, _, _ in current.values()}
        involved = sorted(involved)
        if not involved:
            return {}
        cursor.execute(
            f"SELECT id FROM {themes} WHERE id IN ({marks(involved)}) AND is_active ORDER BY id{lock}", involved
        )
        active = {pk for (pk,) in cursor.fetchall()}
    joined: dict[int, int] = {}
    moves: Counter = Counter()
    for pk, leader, theme, score in placements:
        if leader is not None and leader in current:
            _, theme, score, _ = current[leader]
        if theme is None or theme not in active:
            continue
        row, was, _, source = current.get(pk, (None, None, None, None))
        if source == ThemeMembership.Source.REVIEWER or was == theme:
            continue
        current[pk] = (row, theme, float(score), ThemeMembership.Source.MACHINE)
        joined[pk] = theme
        moves[theme] += 1
        if was is not None:
            moves[was] -= 1
    new = [pk for pk in joined if current[pk][0] is None]
    with sent_together(), connection.cursor() as cursor:
        for theme, moved in sorted(moves.items()):
            if moved:
                cursor.execute(
                    f"UPDATE {themes} SET size = size + %s, updated_at = %s WHERE id = %s", [moved, now, theme]
                )
        if new:
            cursor.execute(
                f"INSERT INTO {memberships} (theme_id, score, source, assigned_at, suggestion_id) VALUES "
                + ", ".join(["(%s, %s, %s, %s, %s)"] * len(new)),
                [value for pk in new for value in (*current[pk][1:], now, pk)],
            )
        for pk in joined:
            row, theme, score, source = current[pk]
            if row is not None:
                cursor.execute(
                    f"UPDATE {memberships} SET theme_id = %s, score = %s, source = %s, assigned_at = %s WHERE id = %s",
                    [theme, score, source, now, row],
                )
    return joined


@transaction.atomic
def move_to_theme(*, suggestion_ids: Iterable[int], theme: Theme, retire_emptied: bool = False) -> dict[int, int]:
    """Place suggestions in a theme as a reviewer's choice, which re-analysis and re-clustering never override,
    and recount the themes they left and joined; with `retire_emptied`, a theme left with no member is retired.
    Refused when the theme was retired or deleted meanwhile. Returns the theme each was in before (none:
    absent)."""
    ids = sorted(set(suggestion_ids))
    if not ids:
        raise GroupingError("هیچ پیشنهادی انتخاب نشده است.")
    (theme,) = locked_active_themes(theme.pk)
    previous = dict(
        ThemeMembership.objects.select_for_update()
        .filter(suggestion_id__in=ids)
        .order_by("suggestion_id")
        .values_list("suggestion_id", "theme_id")
    )
    placement = {"theme": theme, "source": ThemeMembership.Source.REVIEWER, "assigned_at": timezone.now(), "score": 1.0}
    ThemeMembership.objects.filter(suggestion_id__in=ids).update(**placement)
    ThemeMembership.objects.bulk_create(
        ThemeMembership(suggestion_id=pk, **placement) for pk in ids if pk not in previous
    )
    for theme_id in set(previous.values()) - {theme.pk}:
        _recount(theme_id, retire_when_empty=retire_emptied)
    _recount(theme.pk)
    _ideas_follow(ids, theme.pk)
    return previous


@transaction.atomic
def merge_themes(*, source: Theme, target: Theme) -> int:
    """Move every member of `source` into `target` and retire `source`. Every member of the merged theme becomes
    a reviewer placement: otherwise the next re-clustering would pull the two halves apart again into the
    clusters they came from. Returns how many moved."""
    if source.pk == target.pk:
        raise GroupingError("یک محور را نمی‌توان با خودش ادغام کرد؛ محور دیگری را برگزینید.")
    source, target = locked_active_themes(source.pk, target.pk)
    moved = ThemeMembership.objects.filter(theme=source).update(
        theme=target, source=ThemeMembership.Source.REVIEWER, assigned_at=timezone.now()
    )
    ThemeMembership.objects.filter(theme=target).update(source=ThemeMembership.Source.REVIEWER)
    Idea.objects.filter(theme=source).update(theme=target, updated_at=timezone.now())
    Theme.objects.filter(pk=source.pk).update(is_active=False, size=0, updated_at=timezone.now())
    _recount(target.pk)
    return moved


@transaction.atomic
def split_theme(*, theme: Theme, suggestion_ids: Iterable[int], label: str, keywords: list[str]) -> Theme:
    """Move some members of a theme into a new theme with a reviewer's label. Returns the new theme."""
    ids = sorted(set(suggestion_ids))
    if not ids:
        raise GroupingError("هیچ پیشنهادی انتخاب نشده است.")
    (theme,) = locked_active_themes(theme.pk)
    members = set(ThemeMembership.objects.filter(theme=theme).values_list("suggestion_id", flat=True))
    if not members.issuperset(ids):
        raise GroupingError("برخی از پیشنهادهای انتخاب‌شده عضو این محور نیستند؛ صفحه را تازه کنید.")
    if members.issubset(ids):
        raise GroupingError("دست‌کم یک پیشنهاد باید در محور بماند؛ برای عوض کردن عنوان از «تغییر عنوان» استفاده کنید.")
    new_theme = Theme.objects.create(label=label, label_edited=True, keywords=keywords, version=theme.version)
    ThemeMembership.objects.filter(suggestion_id__in=ids).update(
        theme=new_theme, source=ThemeMembership.Source.REVIEWER, assigned_at=timezone.now()
    )
    _recount(theme.pk)
    _recount(new_theme.pk)
    _ideas_follow(ids, new_theme.pk)
    new_theme.refresh_from_db()
    return new_theme


@transaction.atomic
def rename_theme(*, theme: Theme, label: str) -> Theme:
    """Give a theme a reviewer's label; re-clustering keeps it from then on."""
    (theme,) = locked_active_themes(theme.pk)
    theme.label = label
    theme.label_edited = True
    theme.save(update_fields=["label", "label_edited", "updated_at"])
    return theme


def locked_active_themes(*theme_ids: int) -> list[Theme]:
    """The themes, locked in id order so two reviewers merging the same pair cannot deadlock; all active."""
    return _locked_active(Theme, theme_ids, "این محور دیگر فعال نیست؛ شاید ادغام شده است. صفحه را تازه کنید.")


def _locked_active(model, ids: tuple[int, ...], refusal: str) -> list:
    """Rows of `model` locked in id order, returned in the order asked; `refusal` when one is gone or inactive."""
    found = model.objects.select_for_update().in_bulk(sorted(ids))
    if any(pk not in found or not found[pk].is_active for pk in ids):
        raise GroupingError(refusal)
    return [found[pk] for pk in ids]


def _recount(theme_id: int, *, retire_when_empty: bool = False) -> None:
    """Count a theme's members again, for the verbs that move many at once (one placement moves the size by one
    in `place_in_theme`)."""
    size = ThemeMembership.objects.filter(theme_id=theme_id).count()
    fields = {"size": size, "updated_at": timezone.now()}
    if retire_when_empty and size == 0:
        fields["is_active"] = False
    Theme.objects.filter(pk=theme_id).update(**fields)


# Re-clustering ------------------------------------------------------------------------------------------


@transaction.atomic
def write_themes(
    *,
    clusters: dict[int, list[int]],
    continues: dict[int, int | None],
    labels: list[str],
    keywords: list[list[str]],
    item_count: int,
    snapshot_of,
) -> tuple[int, dict[int, int]]:
    """Save a re-clustering: each cluster continues the old theme `continues` names (keeping a reviewer's label)
    or makes a new one, themes no cluster continues are retired unless a reviewer placed someone in them, the
    machine memberships are written anew around the reviewer placements, and a snapshot is stored.
    `snapshot_of(theme_of_cluster)` gives the snapshot's (arrays, metadata). All or nothing.
    Returns the snapshot's version and each cluster's theme id."""
    version = (ThemeSnapshot.objects.aggregate(v=Max("version"))["v"] or 0) + 1
    pinned = set(
        ThemeMembership.objects.filter(source=ThemeMembership.Source.REVIEWER).values_list("suggestion_id", flat=True)
    )
    theme_of_cluster = {}
    for cluster, members in clusters.items():
        if all(pk in pinned for pk in members):
            continue  # reviewers placed every member elsewhere: no machine theme to keep or create
        theme = Theme.objects.filter(pk=continues.get(cluster)).first() or Theme(label=labels[cluster])
        if not theme.label_edited:
            theme.label = labels[cluster]
        theme.keywords = keywords[cluster]
        theme.version = version
        theme.is_active = True
        theme.save()
        theme_of_cluster[cluster] = theme.pk
    kept = set(theme_of_cluster.values())
    still_pinned = set(
        ThemeMembership.objects.filter(source=ThemeMembership.Source.REVIEWER).values_list("theme_id", flat=True)
    )
    Theme.objects.exclude(pk__in=kept | still_pinned).update(is_active=False)
    ThemeMembership.objects.filter(source=ThemeMembership.Source.MACHINE).delete()
    write_machine_memberships(
        (
            (pk, theme_of_cluster[cluster])
            for cluster, members in clusters.items()
            for pk in members
            if pk not in pinned and cluster in theme_of_cluster
        ),
        assigned_at=timezone.now(),
    )
    for theme_id, size in ThemeMembership.objects.values_list("theme_id").annotate(n=Count("pk")):
        Theme.objects.filter(pk=theme_id).update(size=size)
    arrays, metadata = snapshot_of(theme_of_cluster)
    # Every analyzed suggestion, the skipped too: recluster_is_due measures growth against this count.
    ThemeSnapshot.objects.create(version=version, arrays=arrays, metadata=metadata, item_count=item_count)
    ThemeSnapshot.objects.filter(version__lte=version - SNAPSHOTS_KEPT).delete()
    return version, theme_of_cluster


def write_machine_memberships(placements: Iterable[tuple[int, int]], *, assigned_at: datetime) -> None:
    """Insert a machine membership for each (suggestion id, theme id); the caller has deleted the old ones.
    On PostgreSQL with COPY: through bulk_create, saving a re-clustering of a million suggestions took 35 s of
    its 91 s; with COPY, 12 s (benchmarks/recluster_portal.py)."""
    if connection.vendor != "postgresql":
        ThemeMembership.objects.bulk_create(
            (
                ThemeMembership(
                    suggestion_id=pk, theme_id=theme_id, source=ThemeMembership.Source.MACHINE, assigned_at=assigned_at
                )
                for pk, theme_id in placements
            ),
            batch_size=5000,
        )
        return
    machine = ThemeMembership.Source.MACHINE.value
    columns = "suggestion_id, theme_id, score, source, assigned_at"
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {ThemeMembership._meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for pk, theme_id in placements:
            copy.write_row((pk, theme_id, 0.0, machine, assigned_at))


# Ideas --------------------------------------------------------------------------------------------------
#
# An idea lies in exactly one theme. A suggestion a reviewer put in its idea (`idea_by_reviewer`) stays there
# through every re-clustering, as a reviewer's theme placement does; the verbs that move suggestions between
# themes take the ideas along, or split off the part that left.

IDEA_LABEL_MAX = Idea._meta.get_field("label").max_length


@transaction.atomic
def write_ideas(
    *,
    members: dict[Hashable, list[int]],
    labels: dict[Hashable, str] | Callable[[set[Hashable]], dict[Hashable, str]],
) -> dict[Hashable, list[int]]:
    """Save a re-clustering's ideas (`members`: idea key -> suggestion ids), after its themes. `labels` is idea
    key -> label, or a function giving the labels of the keys asked, which is asked only for ideas that are new
    or whose members changed (an unchanged idea keeps its label). Each idea continues the stored idea it overlaps
    most (`carry_ids`), so ids are stable; a reviewer's label and a reviewer's placement of a suggestion are
    kept; an idea whose members lie in two themes (a reviewer placed some of them) is written as one idea per
    theme; stored ideas nobody continues and no reviewer holds are retired. Returns each key's idea ids, the
    largest part first. All or nothing.

    Written in bulk: a million suggestions in some hundred thousand ideas take a few statements per ten thousand
    rows, never one per idea or per suggestion."""
    # Themes first, then ideas, as every verb locks them: a reviewer moving an idea meanwhile waits, never deadlocks.
    list(Theme.objects.select_for_update().filter(is_active=True).order_by("pk").values_list("pk"))
    active = Idea.objects.select_for_update().filter(is_active=True).order_by("pk")
    stored_ideas = {idea.pk: idea for idea in active.only("pk", "label", "label_edited", "theme_id", "size")}
    idea_now: dict[int, int | None] = {}
    pinned: dict[int, int] = {}
    rows = Suggestion.objects.values_list("pk", "idea_id", "idea_by_reviewer").iterator(chunk_size=10000)
    for pk, idea_id, by_reviewer in rows:
        idea_now[pk] = idea_id
        if by_reviewer and idea_id is not None:
            pinned[pk] = idea_id
    reviewers_ideas = set(pinned.values())
    _reviewer_ideas_in_one_theme(reviewers_ideas)
    theme_of = dict(ThemeMembership.objects.values_list("suggestion_id", "theme_id").iterator(chunk_size=10000))
    parts: dict[tuple, list[int]] = {}
    for key, key_members in members.items():
        by_theme: dict[int | None, list[int]] = {}
        for pk in key_members:
            by_theme.setdefault(theme_of.get(pk), []).append(pk)
        for theme_id, part in sorted(by_theme.items(), key=lambda item: -len(item[1])):
            parts[(key, theme_id)] = part
    previous: dict[int, set[int]] = {}
    for pk, idea_id in idea_now.items():
        if idea_id in stored_ideas:
            previous.setdefault(idea_id, set()).add(pk)
    continues = carry_ids(previous, {part: set(part_members) for part, part_members in parts.items()})
    theme_of_reviewers_idea = dict(Idea.objects.filter(pk__in=list(reviewers_ideas)).values_list("pk", "theme_id"))
    now = timezone.now()
    target: dict[tuple, Idea | None] = {}
    for key, theme_id in parts:
        idea = stored_ideas.get(continues[(key, theme_id)])
        if idea is not None and idea.pk in reviewers_ideas and theme_of_reviewers_idea.get(idea.pk) != theme_id:
            idea = None  # a reviewer's idea lies in its own theme: new texts of another theme make an idea there
        target[(key, theme_id)] = idea
    if callable(labels):
        # Labelling reads every member's text: only ideas that are new or changed members are labelled again.
        stale = {
            part_key[0]
            for part_key, idea in target.items()
            if idea is None or (not idea.label_edited and previous.get(idea.pk) != set(parts[part_key]))
        }
        labels = labels(stale)
    fresh: list[tuple[Idea, tuple, list[int]]] = []
    changed: list[Idea] = []
    idea_of: dict[int, int] = {}
    written: dict[Hashable, list[int]] = {}
    for (key, theme_id), part in parts.items():
        free = [pk for pk in part if pk not in pinned]
        idea = target[(key, theme_id)]
        label = (labels[key] or "")[:IDEA_LABEL_MAX] if key in labels else None
        if idea is None:
            if free:  # otherwise reviewers placed every member in ideas of their own: nothing for the machine to keep
                fresh.append((Idea(label=label, theme_id=theme_id, created_at=now, updated_at=now), key, free))
            continue
        relabel = label is not None and idea.label != label and not idea.label_edited
        if idea.pk not in reviewers_ideas and (idea.theme_id != theme_id or relabel):
            idea.theme_id = theme_id
            idea.label = label if relabel else idea.label
            idea.updated_at = now
            changed.append(idea)
        idea_of.update(dict.fromkeys(free, idea.pk))
        written.setdefault(key, []).append(idea.pk)
    Idea.objects.bulk_update(changed, ["label", "theme_id", "updated_at"], batch_size=500)
    created = Idea.objects.bulk_create([idea for idea, _, _ in fresh], batch_size=2000)
    for idea, (_, key, free) in zip(created, fresh, strict=True):
        idea_of.update(dict.fromkeys(free, idea.pk))
        written.setdefault(key, []).append(idea.pk)
    kept = set(idea_of.values()) | reviewers_ideas
    for pk, idea_id in idea_now.items():
        if pk not in idea_of and pk not in pinned and idea_id is not None and idea_id not in kept:
            idea_of[pk] = None  # its idea is retired: no idea until the next re-clustering places it
    _set_column(Suggestion, "idea_id", {pk: idea_id for pk, idea_id in idea_of.items() if idea_now.get(pk) != idea_id})
    sizes = Counter(idea_id for idea_id in ({**idea_now, **idea_of}).values() if idea_id is not None)
    retired = [pk for pk in stored_ideas if pk not in kept]
    for start in range(0, len(retired), 5000):
        Idea.objects.filter(pk__in=retired[start : start + 5000]).update(is_active=False, size=0, updated_at=now)
    resized = {
        idea_id: sizes[idea_id]
        for idea_id in kept
        if idea_id not in stored_ideas or stored_ideas[idea_id].size != sizes[idea_id]
    }
    _set_column(Idea, "size", resized)
    return written


def _set_column(model, column: str, values: dict[int, int | None]) -> None:
    """Set one integer column of many rows, each its own value. On PostgreSQL one UPDATE … FROM unnest() per
    20,000 rows (bulk_update's CASE took 36 s of 50 for the sizes of 29,000 ideas); elsewhere (SQLite in
    development and tests) one UPDATE per distinct value."""
    if connection.vendor == "postgresql":
        pks = list(values)
        table = model._meta.db_table
        with connection.cursor() as cursor:
            for start in range(0, len(pks), 20000):
                chunk = pks[start : start + 20000]
                cursor.execute(
                    f"UPDATE {table} AS t SET {column} = v.value FROM "
                    "(SELECT unnest(%s::bigint[]) AS pk, unnest(%s::bigint[]) AS value) AS v WHERE t.id = v.pk",
                    [chunk, [values[pk] for pk in chunk]],
                )
        return
    by_value: dict[int | None, list[int]] = {}
    for pk, value in values.items():
        by_value.setdefault(value, []).append(pk)
    for value, pks in by_value.items():
        for start in range(0, len(pks), 5000):
            model.objects.filter(pk__in=pks[start : start + 5000]).update(**{column: value})


def _reviewer_ideas_in_one_theme(idea_ids: set[int]) -> None:
    """A re-clustering may scatter the members of an idea a reviewer made over machine themes: the idea stays in
    the theme most of them are in, and the others are placed there too (a reviewer's own theme placement wins
    over the machine's, and is left where the reviewer put it)."""
    if not idea_ids:
        return
    rows = ThemeMembership.objects.filter(suggestion__idea_id__in=idea_ids).values_list(
        "suggestion__idea_id", "theme_id", "suggestion_id", "source"
    )
    by_idea: dict[int, list[tuple[int, int, str]]] = {}
    for idea_id, theme_id, pk, source in rows:
        by_idea.setdefault(idea_id, []).append((theme_id, pk, source))
    touched: set[int] = set()
    for idea_id, placed in by_idea.items():
        theme_id = Counter(theme for theme, _, _ in placed).most_common(1)[0][0]
        strays = [pk for theme, pk, source in placed if theme != theme_id and source == ThemeMembership.Source.MACHINE]
        if strays:
            touched |= {theme for theme, pk, _ in placed if pk in strays}
            ThemeMembership.objects.filter(suggestion_id__in=strays).update(theme_id=theme_id)
            touched.add(theme_id)
        Idea.objects.filter(pk=idea_id).update(theme_id=theme_id)
    for theme_id in touched:
        _recount(theme_id)


@transaction.atomic
def merge_ideas(*, source: Idea, target: Idea) -> tuple[Idea, int]:
    """Put every member of `source` in `target` and retire `source`, as a reviewer's choice: every member of the
    merged idea becomes a reviewer placement, so no re-clustering pulls the two apart again. Refused across
    themes (an idea lies in one theme: move one first). Returns the target and how many suggestions moved."""
    if source.pk == target.pk:
        raise GroupingError("یک ایده را نمی‌توان با خودش ادغام کرد؛ ایدهٔ دیگری را برگزینید.")
    source, target = locked_active_ideas(source.pk, target.pk)
    if source.theme_id != target.theme_id:
        raise GroupingError("این دو ایده در دو محور جدا هستند؛ اول ایده را به محور دیگری ببرید، سپس ادغام کنید.")
    _locked_suggestions(Q(idea_id__in=[source.pk, target.pk]))
    moved = Suggestion.objects.filter(idea=source).update(idea=target, idea_by_reviewer=True, updated_at=timezone.now())
    Suggestion.objects.filter(idea=target).update(idea_by_reviewer=True)
    Idea.objects.filter(pk=source.pk).update(is_active=False, size=0, updated_at=timezone.now())
    _recount_ideas([target.pk])
    target.refresh_from_db()
    return target, moved


@transaction.atomic
def split_idea(*, idea: Idea, suggestion_ids: Iterable[int], label: str) -> Idea:
    """Put some members of an idea in a new idea of the same theme with a reviewer's label; a chosen suggestion
    takes its duplicate group along (copies of one text are one idea). Both parts become reviewer placements, so
    no re-clustering joins them again. Returns the new idea."""
    ids = set(suggestion_ids)
    if not ids:
        raise GroupingError("هیچ پیشنهادی انتخاب نشده است.")
    label = " ".join(label.split())
    if not label:
        raise GroupingError("عنوان ایدهٔ تازه نمی‌تواند خالی باشد.")
    if len(label) > IDEA_LABEL_MAX:
        raise GroupingError(f"عنوان ایده باید حداکثر {_fa(IDEA_LABEL_MAX)} نویسه باشد.")
    (idea,) = locked_active_ideas(idea.pk)
    rows = dict(_locked_suggestions(Q(idea_id=idea.pk)).values_list("pk", "duplicate_group_id"))
    if not ids <= set(rows):
        raise GroupingError("برخی از پیشنهادهای انتخاب‌شده در این ایده نیستند؛ صفحه را تازه کنید.")
    groups = {rows[pk] for pk in ids if rows[pk] is not None}
    chosen = {pk for pk, group_id in rows.items() if pk in ids or group_id in groups}
    if chosen == set(rows):
        raise GroupingError("دست‌کم یک پیشنهاد (با تکراری‌هایش) باید در ایده بماند.")
    new_idea = Idea.objects.create(label=label, label_edited=True, theme_id=idea.theme_id)
    now = timezone.now()
    Suggestion.objects.filter(pk__in=chosen).update(idea=new_idea, idea_by_reviewer=True, updated_at=now)
    Suggestion.objects.filter(idea=idea).update(idea_by_reviewer=True)
    _recount_ideas([idea.pk, new_idea.pk])
    new_idea.refresh_from_db()
    return new_idea


@transaction.atomic
def move_idea_to_theme(*, idea: Idea, theme: Theme) -> Idea:
    """Place every member of an idea in another theme as a reviewer's choice, which re-clustering keeps; a theme
    the idea leaves empty is retired. Returns the idea."""
    (theme,) = locked_active_themes(theme.pk)
    (idea,) = locked_active_ideas(idea.pk)
    if idea.theme_id == theme.pk:
        raise GroupingError("این ایده هم‌اکنون در همین محور است؛ محور دیگری را برگزینید.")
    member_pks = list(Suggestion.objects.filter(idea=idea).values_list("pk", flat=True))
    move_to_theme(suggestion_ids=member_pks, theme=theme, retire_emptied=True)
    idea.refresh_from_db()
    return idea


def locked_active_ideas(*idea_ids: int) -> list[Idea]:
    """The ideas, locked in id order; refused when one was merged or emptied meanwhile."""
    return _locked_active(
        Idea, idea_ids, "این ایده دیگر وجود ندارد؛ شاید کارشناس دیگری آن را ادغام کرده است. صفحه را تازه کنید."
    )


def _locked_suggestions(condition: Q):
    """The suggestions matching `condition`, locked in id order (FOR NO KEY UPDATE, as `_locked_groups_of`)."""
    rows = Suggestion.objects.select_for_update(no_key=True).filter(condition).order_by("pk")
    list(rows.values_list("pk"))
    return rows


def _ideas_follow(suggestion_ids: list[int], theme_id: int) -> None:
    """Keep every idea in one theme after these suggestions were placed in `theme_id`: an idea that moved whole
    moves along; the members that left an idea behind form a new reviewer idea in their new theme."""
    rows = Suggestion.objects.filter(pk__in=suggestion_ids, idea__isnull=False).values_list("pk", "idea_id")
    moved_of: dict[int, list[int]] = {}
    for pk, idea_id in rows:
        moved_of.setdefault(idea_id, []).append(pk)
    if not moved_of:
        return
    touched = set(moved_of)
    ideas = Idea.objects.select_for_update().in_bulk(sorted(moved_of))
    sizes = dict(Suggestion.objects.filter(idea_id__in=list(moved_of)).values_list("idea_id").annotate(n=Count("pk")))
    now = timezone.now()
    for idea_id, moved in moved_of.items():
        idea = ideas[idea_id]
        if idea.theme_id == theme_id:
            continue
        if sizes.get(idea_id, 0) == len(moved):
            Idea.objects.filter(pk=idea_id).update(theme_id=theme_id, updated_at=now)
            continue
        first = Suggestion.objects.filter(pk__in=moved).order_by("created_at", "pk").values_list("title").first()
        part = Idea.objects.create(label=(first[0] if first else idea.label)[:IDEA_LABEL_MAX], theme_id=theme_id)
        Suggestion.objects.filter(pk__in=moved).update(idea=part, idea_by_reviewer=True, updated_at=now)
        touched.add(part.pk)
    _recount_ideas(touched)


def _recount_ideas(idea_ids: Iterable[int]) -> None:
    """Recount each idea's suggestions; an idea left with none is retired."""
    idea_ids = list(set(idea_ids))
    sizes = Counter()
    for start in range(0, len(idea_ids), 5000):
        chunk = idea_ids[start : start + 5000]
        sizes.update(dict(Suggestion.objects.filter(idea_id__in=chunk).values_list("idea_id").annotate(n=Count("pk"))))
    now = timezone.now()
    by_size: dict[int, list[int]] = {}
    for idea_id in idea_ids:
        by_size.setdefault(sizes.get(idea_id, 0), []).append(idea_id)
    for size, same in by_size.items():
        fields = {"size": size, "updated_at": now}
        if size == 0:
            fields["is_active"] = False
        for start in range(0, len(same), 5000):
            Idea.objects.filter(pk__in=same[start : start + 5000]).update(**fields)


def _fa(number: int) -> str:
    return persian_digits(number)

"""`suggestions.grouping` is the one writer of duplicate groups, separate pairs, themes and memberships: each verb
writes its tables and no audit row, refuses in Persian before writing anything, and holds under two writers at
once. A test reads the source tree so that no other module starts writing these tables again."""

import ast
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from review.models import AuditEntry, Review, ReviewStatus
from review.services import ReviewError, mark_duplicate
from suggestions import grouping
from suggestions.choices import State
from suggestions.models import DuplicateGroup, Idea, SeparatePair, Suggestion, Theme, ThemeMembership
from suggestions.tasks import analyze_suggestion
from tests.factories import AnalyzedSuggestionFactory, IdeaFactory, SuggestionFactory, ThemeFactory
from tests.suggestions.ideas import HOURS, IDEAS, analyzed

pytestmark = pytest.mark.django_db


def _groups() -> set[tuple]:
    return set(DuplicateGroup.objects.values_list("pk", "canonical_id", "size", "score", "kind"))


def _placements() -> set[tuple]:
    return set(Suggestion.objects.values_list("pk", "duplicate_group_id", "duplicate_score"))


def _themes_with_members(sizes: tuple[int, ...]) -> tuple[list[Theme], list[list[Suggestion]]]:
    themes, members = [], []
    for index, size in enumerate(sizes):
        theme = Theme.objects.create(label=f"محور {index}", size=size)
        themes.append(theme)
        members.append([SuggestionFactory(state=State.ANALYZED) for _ in range(size)])
        for suggestion in members[-1]:
            ThemeMembership.objects.create(suggestion=suggestion, theme=theme, score=0.4)
    return themes, members


# Duplicate groups ---------------------------------------------------------------------------------------


def test_joining_a_suggestion_to_an_ungrouped_original_makes_a_group_with_the_original_as_canonical():
    original, copy = analyzed(HOURS), analyzed(IDEAS["masks"][0])
    group = grouping.join_duplicate_group(suggestion=copy, original=original, by_reviewer=True)
    copy.refresh_from_db(), original.refresh_from_db()
    assert (group.canonical_id, group.size) == (original.pk, 2)
    assert copy.duplicate_group_id == original.duplicate_group_id == group.pk
    assert (original.duplicate_score, copy.duplicate_score) == (1.0, None)
    assert not AuditEntry.objects.exists()


def test_a_suggestion_joining_another_group_leaves_its_own_which_is_dissolved_when_one_is_left():
    first, second = analyzed(HOURS), analyzed(HOURS)
    other = analyzed(IDEAS["masks"][0])
    grouping.join_duplicate_group(suggestion=second, original=other, by_reviewer=True)
    first.refresh_from_db(), second.refresh_from_db()
    assert first.duplicate_group is None
    assert second.duplicate_group.canonical_id == other.pk
    assert DuplicateGroup.objects.count() == 1


def test_a_suggestion_cannot_be_joined_to_itself_and_nothing_is_written():
    first, _second = analyzed(HOURS), analyzed(HOURS)
    before = (_groups(), _placements())
    with pytest.raises(grouping.GroupingError, match="تکراریِ خودش"):
        grouping.join_duplicate_group(suggestion=first, original=first)
    assert (_groups(), _placements()) == before


def test_joining_a_member_to_its_own_group_changes_nothing():
    first, second = analyzed(HOURS), analyzed(HOURS)
    before = (_groups(), _placements())
    group = grouping.join_duplicate_group(suggestion=second, original=first, by_reviewer=True)
    assert group.pk == second.duplicate_group_id
    assert (_groups(), _placements()) == before


def test_a_pair_a_reviewer_separated_is_never_merged_by_another_reviewer_and_nothing_is_written():
    first, second, third = analyzed(HOURS), analyzed(HOURS), analyzed(HOURS)
    grouping.mark_separate(group=third.duplicate_group, suggestion=third)
    before = (_groups(), _placements())
    with pytest.raises(grouping.GroupingError, match="تکراریِ یکی از اعضای این گروه نیست"):
        grouping.join_duplicate_group(suggestion=third, original=first, by_reviewer=True)
    assert (_groups(), _placements()) == before
    assert Suggestion.objects.get(pk=first.pk).duplicate_group_id == second.duplicate_group_id is not None


def test_marking_a_separated_pair_as_duplicates_is_refused_in_persian_and_leaves_no_decision(reviewer):
    first, _second, third = analyzed(HOURS), analyzed(HOURS), analyzed(HOURS)
    grouping.mark_separate(group=third.duplicate_group, suggestion=third)
    with pytest.raises(ReviewError, match="تکراریِ یکی از اعضای این گروه نیست"):
        mark_duplicate(suggestion=third, reviewer=reviewer, original=first, version=None)
    assert not Review.objects.filter(status=ReviewStatus.DUPLICATE).exists()
    assert not AuditEntry.objects.filter(action="mark_duplicate").exists()


def test_the_analysis_keeps_a_copy_out_of_a_group_holding_a_suggestion_it_was_separated_from():
    first, second = analyzed(HOURS), analyzed(HOURS)
    copy = SuggestionFactory(body=HOURS, title=first.title)
    SeparatePair.objects.create(first=second, second=copy)
    analyze_suggestion(copy.pk)
    copy.refresh_from_db()
    assert copy.state == State.ANALYZED
    assert copy.duplicate_group is None
    assert DuplicateGroup.objects.get().size == 2


def test_choosing_a_canonical_rescores_the_members_and_writes_no_audit_row():
    _first, second = analyzed(HOURS), analyzed(HOURS.replace("مردم", "شهروندان"))
    group = grouping.choose_canonical(group=second.duplicate_group, suggestion=second)
    assert (group.canonical_id, group.canonical_chosen_by_reviewer) == (second.pk, True)
    assert Suggestion.objects.get(pk=second.pk).duplicate_score == 1.0
    assert not AuditEntry.objects.exists()


def test_marking_a_member_separate_writes_a_pair_with_every_other_member():
    first, second, third = analyzed(HOURS), analyzed(HOURS), analyzed(HOURS)
    remaining, written = grouping.mark_separate(group=third.duplicate_group, suggestion=third)
    assert written == 2 and remaining.size == 2
    assert set(SeparatePair.objects.values_list("first_id", "second_id")) == {
        (first.pk, third.pk),
        (second.pk, third.pk),
    }
    assert not AuditEntry.objects.exists()


def test_a_group_dissolved_meanwhile_is_refused_in_persian():
    _first, second = analyzed(HOURS), analyzed(HOURS)
    group = second.duplicate_group
    grouping.leave_duplicate_group(suggestion=second)
    with pytest.raises(grouping.GroupingError, match="دیگر وجود ندارد"):
        grouping.choose_canonical(group=group, suggestion=second)


# Themes -------------------------------------------------------------------------------------------------


def test_moving_to_a_theme_that_no_longer_exists_is_refused_and_nothing_is_written():
    (left, gone), members = _themes_with_members((2, 1))
    Theme.objects.filter(pk=gone.pk).delete()
    before = set(ThemeMembership.objects.values_list("suggestion_id", "theme_id", "source"))
    with pytest.raises(grouping.GroupingError, match="دیگر فعال نیست"):
        grouping.move_to_theme(suggestion_ids=[members[0][0].pk], theme=gone)
    assert set(ThemeMembership.objects.values_list("suggestion_id", "theme_id", "source")) == before


def test_moving_to_a_retired_theme_is_refused():
    (left, retired), members = _themes_with_members((2, 1))
    Theme.objects.filter(pk=retired.pk).update(is_active=False)
    with pytest.raises(grouping.GroupingError, match="دیگر فعال نیست"):
        grouping.move_to_theme(suggestion_ids=[members[0][0].pk], theme=retired)


def test_merging_themes_moves_every_member_as_a_reviewer_placement_and_writes_no_audit_row():
    (source, target), members = _themes_with_members((2, 1))
    assert grouping.merge_themes(source=source, target=target) == 2
    source.refresh_from_db(), target.refresh_from_db()
    assert (source.is_active, source.size, target.size) == (False, 0, 3)
    sources = set(ThemeMembership.objects.values_list("source", flat=True))
    assert sources == {ThemeMembership.Source.REVIEWER}
    assert not AuditEntry.objects.exists()


def test_merging_a_theme_with_itself_is_refused():
    (theme,), _ = _themes_with_members((2,))
    with pytest.raises(grouping.GroupingError, match="با خودش"):
        grouping.merge_themes(source=theme, target=theme)
    assert Theme.objects.get(pk=theme.pk).is_active


def test_renaming_a_theme_marks_the_label_as_the_reviewers():
    (theme,), _ = _themes_with_members((1,))
    grouping.rename_theme(theme=theme, label="ساعت رأی‌گیری")
    theme.refresh_from_db()
    assert (theme.label, theme.label_edited) == ("ساعت رأی‌گیری", True)


def test_splitting_a_theme_makes_a_reviewer_theme_and_recounts_both():
    (theme,), (members,) = _themes_with_members((3,))
    new_theme = grouping.split_theme(theme=theme, suggestion_ids=[members[0].pk], label="تازه", keywords=["تازه"])
    theme.refresh_from_db()
    assert (theme.size, new_theme.size, new_theme.label_edited) == (2, 1, True)
    with pytest.raises(grouping.GroupingError, match="دست‌کم یک پیشنهاد"):
        grouping.split_theme(theme=theme, suggestion_ids=[m.pk for m in members[1:]], label="همه", keywords=[])


def test_the_analysis_never_overrides_a_reviewer_placement_nor_joins_a_retired_theme():
    (placed_by_reviewer, machine, retired), members = _themes_with_members((1, 1, 1))
    grouping.move_to_theme(suggestion_ids=[members[0][0].pk], theme=placed_by_reviewer)
    assert not grouping.place_in_theme(suggestion=members[0][0], theme_id=machine.pk, score=0.9)
    Theme.objects.filter(pk=retired.pk).update(is_active=False)
    assert not grouping.place_in_theme(suggestion=members[1][0], theme_id=retired.pk, score=0.9)
    assert ThemeMembership.objects.get(suggestion=members[1][0]).theme_id == machine.pk


def _groups_and_ideas(suggestions):
    """Each suggestion's group (by its canonical member, with the group's figures), score and idea, and each
    idea's size: what joining copies writes, whatever ids the groups got."""
    rows = []
    for suggestion in Suggestion.objects.filter(pk__in=[s.pk for s in suggestions]).order_by("pk"):
        group = suggestion.duplicate_group
        figures = None
        if group is not None:
            figures = (group.canonical_id, group.size, group.kind, group.score, group.first_seen, group.last_seen)
        rows.append((suggestion.pk, figures, suggestion.duplicate_score, suggestion.idea_id))
    return rows, dict(Idea.objects.values_list("pk", "size"))


def test_a_batch_of_copies_joins_its_groups_as_its_copies_would_one_after_another():
    original = AnalyzedSuggestionFactory(body=HOURS)
    canonical, member = AnalyzedSuggestionFactory(body=IDEAS["masks"][0]), AnalyzedSuggestionFactory()
    grouping.join_duplicate_group(suggestion=member, original=canonical)
    IdeaFactory(members=[canonical, member])
    newcomers = [
        AnalyzedSuggestionFactory(body=HOURS),
        AnalyzedSuggestionFactory(body=HOURS.replace("ساعت", "ساعات")),
        AnalyzedSuggestionFactory(body=HOURS),
        AnalyzedSuggestionFactory(body=IDEAS["masks"][0].replace("ماسک", "ماسک‌ها")),
        AnalyzedSuggestionFactory(body=IDEAS["masks"][0]),
    ]
    pairs = [
        (newcomers[0], original),  # makes a group of an original in none
        (newcomers[1], original),  # joins the group the batch made
        (newcomers[2], newcomers[0]),  # its original joined that group earlier in the batch
        (newcomers[3], member),  # joins a stored group through one of its members, and the group's idea
        (newcomers[4], canonical),
    ]
    everyone = [original, canonical, member, *newcomers]

    def copies_of(pairs):
        return [(Suggestion.objects.get(pk=s.pk), Suggestion.objects.get(pk=o.pk)) for s, o in pairs]

    with transaction.atomic():
        for suggestion, other in copies_of(pairs):
            grouping.join_duplicate_group(suggestion=suggestion, original=other)
        expected = _groups_and_ideas(everyone)
        transaction.set_rollback(True)
    batch = copies_of(pairs)
    assert grouping.join_new_copies(batch)
    assert _groups_and_ideas(everyone) == expected
    assert batch[1][0].duplicate_group.canonical_id == original.pk  # the objects say what was written


def test_a_batch_holding_a_copy_already_in_a_group_is_left_to_be_joined_one_at_a_time():
    original, grouped, other = (AnalyzedSuggestionFactory() for _ in range(3))
    grouping.join_duplicate_group(suggestion=grouped, original=other)
    fresh = AnalyzedSuggestionFactory()
    before = _groups_and_ideas([original, grouped, other, fresh])
    assert not grouping.join_new_copies([(fresh, original), (grouped, original)])
    assert _groups_and_ideas([original, grouped, other, fresh]) == before


def _placed_one_at_a_time(placements):
    """What `place_in_themes` must equal: each placement made alone after the ones before it, a follower taking the
    theme of the suggestion it follows where that one has any (as `pipeline.place_in_theme` does)."""
    joined = {}
    for pk, followed, theme, score in placements:
        leader = ThemeMembership.objects.filter(suggestion_id=followed).values_list("theme_id", "score").first()
        if leader is not None:
            theme, score = leader
        if theme is not None and grouping.place_in_theme(suggestion=Suggestion(pk=pk), theme_id=theme, score=score):
            joined[pk] = theme
    return joined


def _placements_and_sizes():
    memberships = ThemeMembership.objects.order_by("suggestion_id").values_list("suggestion_id", "theme_id", "source")
    return list(memberships), dict(Theme.objects.values_list("pk", "size"))


def test_a_batch_is_placed_in_themes_as_its_suggestions_would_be_one_after_another():
    (first, second, retired), members = _themes_with_members((2, 1, 1))
    reviewer_placed, machine_placed = members[0]
    grouping.move_to_theme(suggestion_ids=[reviewer_placed.pk], theme=first)
    Theme.objects.filter(pk=retired.pk).update(is_active=False)
    fresh = [SuggestionFactory(state=State.ANALYZED) for _ in range(5)]
    placements = [
        (reviewer_placed.pk, None, second.pk, 0.9),  # a reviewer's placement stands
        (machine_placed.pk, None, second.pk, 0.8),  # moves from the first theme to the second
        (members[1][0].pk, None, second.pk, 0.7),  # already there
        (fresh[0].pk, None, first.pk, 0.6),
        (fresh[1].pk, fresh[0].pk, second.pk, 0.5),  # follows fresh[0], placed earlier in the batch
        (fresh[2].pk, machine_placed.pk, None, 0.0),  # follows one moved earlier in the batch
        (fresh[3].pk, None, retired.pk, 0.4),  # a retired theme is not joined
        (fresh[4].pk, fresh[3].pk, first.pk, 0.3),  # follows one with no theme: its own nearest
    ]
    with transaction.atomic():
        alone = _placed_one_at_a_time(placements)
        expected = _placements_and_sizes()
        transaction.set_rollback(True)
    batch = grouping.place_in_themes(placements)
    assert (
        batch
        == alone
        == {
            machine_placed.pk: second.pk,
            fresh[0].pk: first.pk,
            fresh[1].pk: first.pk,
            fresh[2].pk: second.pk,
            fresh[4].pk: first.pk,
        }
    )
    assert _placements_and_sizes() == expected


# Two writers at once (PostgreSQL) -----------------------------------------------------------------------


# SQLite takes the write lock at BEGIN, so writers never overlap there: the races need PostgreSQL.


def _join_one_at_a_time(copies, original):
    for copy in copies:
        grouping.join_duplicate_group(suggestion=copy, original=original)


def _join_as_a_batch(copies, original):
    assert grouping.join_new_copies([(copy, original) for copy in copies])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("join, each", [(_join_one_at_a_time, 1), (_join_as_a_batch, 2)])
def test_two_workers_joining_copies_of_one_original_at_once_make_one_group(seeded_topics, join, each):
    original = SuggestionFactory(state=State.ANALYZED)
    copies = [SuggestionFactory(state=State.ANALYZED) for _ in range(2 * each)]
    joined, second_done = threading.Event(), threading.Event()
    errors = []

    def first_worker():
        try:
            with transaction.atomic():
                join(copies[:each], original)
                joined.set()
                # Hold the transaction open while the second worker tries: without a lock on the original it would
                # see no group yet and make a second one.
                second_done.wait(timeout=2)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            joined.set()
            connections.close_all()

    def second_worker():
        try:
            joined.wait(timeout=10)
            with transaction.atomic():
                join(copies[each:], original)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            second_done.set()
            connections.close_all()

    threads = [threading.Thread(target=first_worker), threading.Thread(target=second_worker)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    group = DuplicateGroup.objects.get()
    assert group.canonical_id == original.pk and group.size == 1 + len(copies)
    assert set(Suggestion.objects.filter(duplicate_group=group).values_list("pk", flat=True)) == {
        original.pk,
        *(copy.pk for copy in copies),
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_merging_two_themes_into_each_other_at_once_leave_one_theme_with_every_member(seeded_topics):
    (first, second), _ = _themes_with_members((2, 2))
    barrier = threading.Barrier(2)
    outcomes = []

    def merge(source, target):
        try:
            barrier.wait(timeout=10)
            grouping.merge_themes(source=source, target=target)
            outcomes.append("merged")
        except grouping.GroupingError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=merge, args=pair) for pair in ((first, second), (second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["merged", "refused"]
    (active,) = Theme.objects.filter(is_active=True)
    assert active.size == ThemeMembership.objects.filter(theme=active).count() == 4


# Who writes these tables --------------------------------------------------------------------------------

GROUPING_MODELS = {"DuplicateGroup", "Idea", "SeparatePair", "Theme", "ThemeMembership", "ThemeSnapshot"}
# A suggestion's idea is written by the grouping module too, whichever model's update() names it.
IDEA_FIELDS = {"idea", "idea_id", "idea_by_reviewer"}
WRITES = {"create", "bulk_create", "bulk_update", "update", "update_or_create", "get_or_create", "delete"}


def _writes_outside_grouping(path: Path, shown_as: Path | None = None) -> list[str]:
    """Each `<Model>.objects....<write>(...)` and each `<Model>(...)` built to be saved, of the grouping models.
    (A write through an instance already loaded, `theme.save()`, is not told apart from others' saves here.)"""
    shown_as = shown_as or path
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name) and node.func.id in GROUPING_MODELS:
            found.append(f"{shown_as}:{node.lineno} builds a {node.func.id}")
            continue
        if not (isinstance(node.func, ast.Attribute) and node.func.attr in WRITES):
            continue
        if node.func.attr == "update" and {keyword.arg for keyword in node.keywords} & IDEA_FIELDS:
            found.append(f"{shown_as}:{node.lineno} sets a suggestion's idea")
            continue
        chain = node.func.value
        while isinstance(chain, ast.Call | ast.Attribute):
            if isinstance(chain, ast.Attribute) and chain.attr == "objects" and isinstance(chain.value, ast.Name):
                if chain.value.id in GROUPING_MODELS:
                    found.append(f"{shown_as}:{node.lineno} {chain.value.id}.objects….{node.func.attr}()")
                break
            chain = chain.func if isinstance(chain, ast.Call) else chain.value
    return found


def test_only_the_grouping_module_writes_groups_pairs_ideas_themes_memberships_and_snapshots():
    root = Path(settings.BASE_DIR)
    sources = [
        path
        for app in ("suggestions", "review")
        for path in sorted((root / app).rglob("*.py"))
        if "migrations" not in path.parts and path != root / "suggestions" / "grouping.py"
    ]
    assert len(sources) > 20, "the source tree should have been found"
    assert [write for path in sources for write in _writes_outside_grouping(path, path.relative_to(root))] == []


def test_the_source_check_finds_a_write_where_one_is_made(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "ThemeMembership.objects.filter(theme=t).update(theme=u)\n"
        "DuplicateGroup.objects.create(canonical_id=1)\n"
        "Theme(label='x').save()\n"
        "Theme.objects.filter(is_active=True).count()\n"
        "Idea.objects.filter(pk=1).update(size=0)\n"
        "Suggestion.objects.filter(pk=1).update(idea_id=2)\n",
        encoding="utf-8",
    )
    assert len(_writes_outside_grouping(sample)) == 5


# Bulk writes (PostgreSQL: COPY and UPDATE … FROM unnest) ------------------------------------------------


@pytest.mark.postgres
def test_machine_memberships_written_with_copy_are_machine_placements_at_the_given_time():
    first, second = ThemeFactory(), ThemeFactory()
    placed = [SuggestionFactory(state=State.ANALYZED) for _ in range(3)]
    at = timezone.now().replace(microsecond=0)
    grouping.write_machine_memberships(
        [(placed[0].pk, first.pk), (placed[1].pk, first.pk), (placed[2].pk, second.pk)], assigned_at=at
    )
    rows = set(ThemeMembership.objects.values_list("suggestion_id", "theme_id", "source", "score", "assigned_at"))
    machine = ThemeMembership.Source.MACHINE
    assert rows == {
        (placed[0].pk, first.pk, machine, 0.0, at),
        (placed[1].pk, first.pk, machine, 0.0, at),
        (placed[2].pk, second.pk, machine, 0.0, at),
    }


@pytest.mark.postgres
def test_ideas_written_in_bulk_place_their_members_and_take_those_of_a_retired_idea_out():
    theme = ThemeFactory()
    placed = [SuggestionFactory(state=State.ANALYZED) for _ in range(3)]
    for suggestion in placed:
        ThemeMembership.objects.create(suggestion=suggestion, theme=theme)
    old = IdeaFactory(theme=theme, members=placed[2:])
    written = grouping.write_ideas(members={"hours": [placed[0].pk, placed[1].pk]}, labels={"hours": "ساعت"})
    (idea_id,) = written["hours"]
    ideas = dict(Suggestion.objects.values_list("pk", "idea_id"))
    assert ideas == {placed[0].pk: idea_id, placed[1].pk: idea_id, placed[2].pk: None}
    old.refresh_from_db()
    assert not old.is_active and idea_id != old.pk

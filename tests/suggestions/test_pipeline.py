import pytest
from django.db import DatabaseError

from suggestions import grouping, pipeline
from suggestions.caches import process_caches
from suggestions.choices import State
from suggestions.models import (
    DuplicateGroup,
    GroupKind,
    SeparatePair,
    SimilarSuggestion,
    Suggestion,
    Theme,
    ThemeMembership,
)
from suggestions.tasks import analyze_suggestion
from tests.factories import SuggestionFactory
from tests.suggestions.ideas import HOURS, IDEAS, analyzed

pytestmark = pytest.mark.django_db


def test_spelling_digit_and_zwnj_variants_join_one_exact_group():
    first = analyzed(HOURS)
    variant = analyzed(HOURS.replace("۲۴", "24").replace("می‌کنم", "میکنم").replace("ی", "ي"))
    assert variant.duplicate_group is not None
    assert variant.duplicate_group.canonical_id == first.pk
    assert variant.duplicate_group.kind == GroupKind.EXACT
    assert variant.duplicate_group.size == 2


def test_a_lightly_edited_copy_joins_as_a_near_duplicate():
    first = analyzed(HOURS)
    edited = analyzed(HOURS.replace("تا مردم مجبور نباشند", "تا شهروندان مجبور نباشند"))
    assert edited.duplicate_group.canonical_id == first.pk
    assert edited.duplicate_group.kind == GroupKind.NEAR
    assert 0.5 < edited.duplicate_score < 1.0


def test_a_template_sent_many_times_with_small_edits_is_one_campaign_with_its_count():
    names = ["تهران", "اصفهان", "شیراز", "تبریز", "مشهد", "کرج"]
    members = [analyzed(HOURS.replace("به شعبه‌ها بروند", f"به شعبه‌های {name} بروند")) for name in names]
    group = DuplicateGroup.objects.get()
    assert group.kind == GroupKind.CAMPAIGN
    assert group.size == len(names)
    assert group.first_seen == members[0].created_at
    assert group.last_seen == members[-1].created_at


def test_a_different_idea_is_never_grouped():
    analyzed(HOURS)
    other = analyzed(IDEAS["masks"][0])
    assert other.duplicate_group is None


def test_a_paraphrase_is_listed_as_similar_but_not_merged():
    first = analyzed(IDEAS["masks"][0])
    for body in IDEAS["hours"] + IDEAS["ballots"] + IDEAS["observers"]:
        analyzed(body)
    pipeline.recluster()
    paraphrase = analyzed(IDEAS["masks"][1])
    assert paraphrase.duplicate_group is None
    assert first.pk in SimilarSuggestion.objects.filter(suggestion=paraphrase).values_list("other_id", flat=True)


def test_a_pair_a_reviewer_separated_is_not_merged_again():
    first = analyzed(HOURS)
    copy = SuggestionFactory(body=HOURS)
    SeparatePair.objects.create(first=first, second=copy)
    analyze_suggestion(copy.pk)
    copy.refresh_from_db()
    assert copy.duplicate_group is None


def test_a_second_delivery_leaves_the_group_as_it_was():
    analyzed(HOURS)
    copy = analyzed(HOURS)
    analyze_suggestion(copy.pk)
    assert DuplicateGroup.objects.get().size == 2


def test_similar_suggestions_never_list_the_suggestion_or_its_own_copies():
    for bodies in IDEAS.values():
        for body in bodies:
            analyzed(body)
    pipeline.recluster()
    first = analyzed(HOURS)
    copy = analyzed(HOURS)
    listed = set(SimilarSuggestion.objects.filter(suggestion=copy).values_list("other_id", flat=True))
    assert copy.pk not in listed and first.pk not in listed
    assert 0 < len(listed) <= 5


def corpus():
    for bodies in IDEAS.values():
        for body in bodies:
            analyzed(body)


def test_reclustering_gives_every_analyzed_suggestion_a_theme_with_a_persian_label():
    corpus()
    result = pipeline.recluster()
    assert result["themes"] >= 2
    assert ThemeMembership.objects.count() == Suggestion.objects.count()
    for theme in Theme.objects.filter(is_active=True):
        assert theme.label and theme.keywords and theme.size > 0
        assert any("\u0600" <= ch <= "\u06ff" for ch in theme.label)


def test_copies_share_the_theme_of_their_canonical_member():
    corpus()
    pipeline.recluster()
    copy = analyzed(IDEAS["ballots"][0])
    original = Suggestion.objects.filter(body=IDEAS["ballots"][0]).order_by("pk").first()
    assert copy.theme_membership.theme_id == original.theme_membership.theme_id


def test_a_new_suggestion_joins_its_nearest_theme_at_once():
    corpus()
    pipeline.recluster()
    newcomer = analyzed("ماسک و دستکش رایگان در ورودی شعبه‌ها به مردم داده شود تا بیماری کرونا منتقل نشود.")
    masks_theme = Suggestion.objects.get(body=IDEAS["masks"][0]).theme_membership.theme_id
    assert newcomer.theme_membership.theme_id == masks_theme


def test_theme_identities_and_reviewer_edits_survive_reclustering():
    corpus()
    pipeline.recluster(n_themes=4)
    mask_member = Suggestion.objects.get(body=IDEAS["masks"][0])
    theme = mask_member.theme_membership.theme
    Theme.objects.filter(pk=theme.pk).update(label="ماسک و بهداشت شعبه", label_edited=True)
    moved = Suggestion.objects.get(body=IDEAS["observers"][2])
    ThemeMembership.objects.filter(suggestion=moved).update(theme=theme, source=ThemeMembership.Source.REVIEWER)

    analyzed("روی میز هر شعبه مایع ضدعفونی و ماسک یک‌بار مصرف برای رأی‌دهندگان گذاشته شود.")
    result = pipeline.recluster(n_themes=4)

    mask_member.refresh_from_db()
    assert result["version"] == 2
    assert mask_member.theme_membership.theme_id == theme.pk
    assert Theme.objects.get(pk=theme.pk).label == "ماسک و بهداشت شعبه"
    assert ThemeMembership.objects.get(suggestion=moved).theme_id == theme.pk


def test_reclustering_reports_its_progress():
    corpus()
    stages = []
    pipeline.recluster(progress=lambda stage, done, total: stages.append(stage))
    assert stages[0] == "vectorising" and stages[-1] == "done"


def test_reclustering_too_few_suggestions_makes_no_themes():
    analyzed(HOURS)
    assert pipeline.recluster() == {"suggestions": 1, "themes": 0}
    assert not Theme.objects.exists()


def _memberships() -> set[tuple]:
    return set(ThemeMembership.objects.values_list("suggestion_id", "theme_id", "source", "assigned_at"))


def test_reclustering_rewrites_every_machine_membership_and_leaves_the_reviewer_placements():
    corpus()
    pipeline.recluster(n_themes=4)
    keeper = Theme.objects.create(label="محور کارشناس", label_edited=True)
    moved = list(Suggestion.objects.filter(body__in=IDEAS["hours"][:2]).values_list("pk", flat=True))
    grouping.move_to_theme(suggestion_ids=moved, theme=keeper)
    placed = {m for m in _memberships() if m[0] in moved}
    pipeline.recluster(n_themes=4)
    memberships = _memberships()
    assert {m for m in memberships if m[0] in moved} == placed
    machine = {m[0] for m in memberships if m[2] == ThemeMembership.Source.MACHINE}
    assert machine == set(Suggestion.objects.exclude(pk__in=moved).values_list("pk", flat=True))


def test_theme_sizes_after_reclustering_count_machine_and_reviewer_members_alike():
    corpus()
    pipeline.recluster(n_themes=4)
    keeper = Theme.objects.create(label="محور کارشناس", label_edited=True)
    hours = Suggestion.objects.filter(body__in=IDEAS["hours"]).values_list("pk", flat=True)
    grouping.move_to_theme(suggestion_ids=list(hours), theme=keeper)
    pipeline.recluster(n_themes=4)
    for theme in Theme.objects.filter(is_active=True):
        assert theme.size == ThemeMembership.objects.filter(theme=theme).count() > 0, theme.label


class LostConnection(Exception):
    pass


def test_a_reclustering_that_fails_while_writing_memberships_leaves_the_previous_themes(monkeypatch):
    corpus()
    pipeline.recluster(n_themes=4)
    before = _memberships()
    themes = set(Theme.objects.values_list("pk", "label", "size", "is_active", "version"))
    write = grouping.write_machine_memberships

    def write_some_then_fail(placements, **kwargs):
        def some():
            for n, placement in enumerate(placements):
                if n == 5:
                    raise LostConnection
                yield placement

        write(some(), **kwargs)

    monkeypatch.setattr(grouping, "write_machine_memberships", write_some_then_fail)
    with pytest.raises(LostConnection):
        pipeline.recluster(n_themes=3)
    assert _memberships() == before
    assert set(Theme.objects.values_list("pk", "label", "size", "is_active", "version")) == themes
    assert pipeline.current_snapshot().key[0] == 1


def test_failed_analysis_writes_no_partial_group(monkeypatch):
    analyzed(HOURS)
    copy = SuggestionFactory(body=HOURS)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline, "place_in_theme", broken)
    analyze_suggestion(copy.pk)
    copy.refresh_from_db()
    assert copy.state == State.RECEIVED
    assert copy.duplicate_group is None
    assert not DuplicateGroup.objects.exists()


def test_a_new_suggestion_skips_a_theme_that_reviewers_retired():
    corpus()
    pipeline.recluster()
    masks_theme = Suggestion.objects.get(body=IDEAS["masks"][0]).theme_membership.theme
    Theme.objects.filter(pk=masks_theme.pk).update(is_active=False)
    newcomer = analyzed("ماسک و دستکش رایگان در ورودی شعبه‌ها به مردم داده شود تا بیماری کرونا منتقل نشود.")
    assert newcomer.theme_membership.theme_id != masks_theme.pk
    assert newcomer.theme_membership.theme.is_active


def test_a_cluster_made_only_of_reviewer_placements_makes_no_empty_theme():
    corpus()
    pipeline.recluster(n_themes=4)
    keeper = Theme.objects.create(label="محور کارشناس", label_edited=True)
    masks = Suggestion.objects.filter(body__in=IDEAS["masks"])
    ThemeMembership.objects.filter(suggestion__in=masks).update(theme=keeper, source=ThemeMembership.Source.REVIEWER)
    pipeline.recluster(n_themes=4)
    for theme in Theme.objects.filter(is_active=True):
        assert ThemeMembership.objects.filter(theme=theme).exists(), theme.label


def test_a_canonical_member_leaving_hands_its_role_to_the_earliest_member_and_forgets_the_reviewer_choice():
    first, second, _third = (analyzed(HOURS) for _ in range(3))
    DuplicateGroup.objects.update(canonical_chosen_by_reviewer=True)
    kept = grouping.leave_duplicate_group(suggestion=first)
    assert kept.canonical_id == second.pk and not kept.canonical_chosen_by_reviewer and kept.size == 2


def test_a_group_left_with_one_member_is_dissolved():
    first, second = analyzed(HOURS), analyzed(HOURS)
    assert grouping.leave_duplicate_group(suggestion=second) is None
    first.refresh_from_db()
    assert first.duplicate_group is None and not DuplicateGroup.objects.exists()


def _two_themes_with_members(sizes: tuple[int, int]):
    themes = [Theme.objects.create(label=f"محور {index}") for index in range(2)]
    members = []
    for theme, size in zip(themes, sizes, strict=True):
        for _ in range(size):
            suggestion = SuggestionFactory(state=State.ANALYZED)
            ThemeMembership.objects.create(suggestion=suggestion, theme=theme, score=0.4)
            members.append(suggestion)
    return themes, members


def test_a_reviewer_placement_recounts_both_themes_and_is_marked_as_the_reviewers():
    (left, joined), members = _two_themes_with_members((2, 1))
    previous = grouping.move_to_theme(suggestion_ids=[members[0].pk], theme=joined)
    assert previous == {members[0].pk: left.pk}
    left.refresh_from_db(), joined.refresh_from_db()
    assert (left.size, joined.size, left.is_active) == (1, 2, True)
    membership = ThemeMembership.objects.get(suggestion=members[0])
    assert (membership.source, membership.score) == (ThemeMembership.Source.REVIEWER, 1.0)


def test_a_theme_emptied_by_a_reviewer_placement_is_retired_only_when_asked():
    (left, joined), members = _two_themes_with_members((1, 1))
    grouping.move_to_theme(suggestion_ids=[members[0].pk], theme=joined)
    assert Theme.objects.get(pk=left.pk).is_active
    grouping.move_to_theme(suggestion_ids=[members[0].pk, members[1].pk], theme=left, retire_emptied=True)
    assert not Theme.objects.get(pk=joined.pk).is_active
    assert Theme.objects.get(pk=left.pk).size == 2


def _listed(suggestion) -> list[tuple[int, float]]:
    rows = SimilarSuggestion.objects.filter(suggestion=suggestion).order_by("rank")
    return list(rows.values_list("other_id", "score"))


def test_a_later_suggestion_takes_the_place_of_the_weakest_in_an_earlier_ones_full_list(
    django_capture_on_commit_callbacks,
):
    earlier, *others = (SuggestionFactory(state=State.ANALYZED) for _ in range(6))
    pipeline.store_similar(earlier, [(other.pk, 0.9 - 0.1 * i) for i, other in enumerate(others[:5])])
    later = SuggestionFactory(state=State.ANALYZED)
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.store_similar(later, [(earlier.pk, 0.65)])
    assert [pk for pk, _ in _listed(earlier)] == [others[0].pk, others[1].pk, others[2].pk, later.pk, others[3].pk]


def test_a_later_suggestion_is_left_out_of_a_list_whose_five_are_all_closer(django_capture_on_commit_callbacks):
    earlier, *others = (SuggestionFactory(state=State.ANALYZED) for _ in range(6))
    closer = [(other.pk, 0.9) for other in others[:5]]
    pipeline.store_similar(earlier, closer)
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.store_similar(SuggestionFactory(state=State.ANALYZED), [(earlier.pk, 0.3)])
    assert _listed(earlier) == closer


def test_a_suggestion_is_offered_to_other_lists_only_once_its_own_analysis_commits(django_capture_on_commit_callbacks):
    earlier, later = SuggestionFactory(state=State.ANALYZED), SuggestionFactory(state=State.ANALYZED)
    with django_capture_on_commit_callbacks(execute=False) as waiting:
        pipeline.store_similar(later, [(earlier.pk, 0.7)])
    assert _listed(earlier) == []
    for callback in waiting:
        callback()
    assert _listed(earlier) == [(later.pk, 0.7)]


def test_an_offer_that_fails_leaves_the_analyzed_suggestion_and_its_own_list(monkeypatch, eager_tasks):
    first = analyzed(IDEAS["masks"][0])
    real = pipeline._create_lists

    def refuse_offers(lists):
        if first.pk in lists:
            raise DatabaseError("deadlock detected")
        real(lists)

    monkeypatch.setattr(pipeline, "_create_lists", refuse_offers)
    second = analyzed(IDEAS["masks"][1])
    assert second.state == State.ANALYZED
    assert first.pk in [pk for pk, _ in _listed(second)]
    assert second.pk not in [pk for pk, _ in _listed(first)]


def test_a_process_keeps_only_the_theme_pools_it_used_last(monkeypatch):
    corpus()
    pipeline.recluster(n_themes=4)
    monkeypatch.setattr(pipeline, "POOLS_KEPT", 2)
    monkeypatch.setattr(pipeline, "WHOLE_POOL", 0)  # search by theme, as in a large collection
    snapshot = pipeline.current_snapshot()
    themes = list(Theme.objects.filter(is_active=True).values_list("pk", flat=True))[:3]
    for theme_id in themes:
        pipeline._pool(snapshot, theme_id)
    assert [key[1] for key in process_caches.pools] == themes[1:]


def test_the_live_list_shows_copies_of_one_text_once_and_other_ideas_beside_them():
    corpus()
    copies = [analyzed(IDEAS["masks"][0]) for _ in range(4)]
    pipeline.recluster()
    shown = pipeline.similar_to_text("ماسک و دستکش رایگان در ورودی شعبه‌ها به رأی‌دهندگان داده شود")
    groups = [s.duplicate_group_id or s.pk for s in shown]
    assert len(groups) == len(set(groups))
    assert sum(1 for s in shown if s.duplicate_group_id == copies[0].duplicate_group_id) == 1
    assert len(shown) > 1


def test_the_live_list_offers_no_suggestion_of_another_idea():
    idea_of = {analyzed(body).pk: idea for idea, bodies in IDEAS.items() for body in bodies}
    pipeline.recluster()
    for idea, bodies in IDEAS.items():
        for typed in bodies:
            shown = pipeline.similar_to_text(typed)
            assert shown, f"nothing shown for a text of {idea}"
            assert {idea_of[s.pk] for s in shown} == {idea}

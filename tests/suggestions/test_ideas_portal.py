"""Ideas in the portal: the re-clustering writes them with stable ids, the grouping verbs merge, split and move
them as reviewers ask and keep those moves, an idea lies in one theme, and its people are its suggestions and
its supporters."""

import json

import pytest

from suggestions import analysis, grouping, idea_sync, pipeline
from suggestions.analysis import analyze_corpus
from suggestions.analysis.ideas import idea_labels
from suggestions.choices import State
from suggestions.models import Idea, SeparatePair, Suggestion, Support, ThemeMembership
from tests.factories import IdeaFactory, SuggestionFactory, ThemeFactory
from tests.shared_data import DEV_SET
from tests.suggestions.ideas import IDEAS, analyzed
from tests.suggestions.test_one_engine import title_and_body

pytestmark = pytest.mark.django_db


def _suggestions(count: int, **fields) -> list[Suggestion]:
    return [SuggestionFactory(state=State.ANALYZED, **fields) for _ in range(count)]


def _idea_of(suggestion: Suggestion) -> int | None:
    return Suggestion.objects.values_list("idea_id", flat=True).get(pk=suggestion.pk)


def _snapshot() -> set[tuple]:
    return {
        *Idea.objects.values_list("pk", "label", "theme_id", "size", "is_active"),
        *Suggestion.objects.values_list("pk", "idea_id", "idea_by_reviewer"),
    }


# The re-clustering writes ideas -------------------------------------------------------------------------


def test_reclustering_puts_every_analyzed_suggestion_in_an_idea_that_lies_in_its_theme():
    for bodies in IDEAS.values():
        for body in bodies:
            analyzed(body)
    result = pipeline.recluster()

    assert result["ideas"] == Idea.objects.filter(is_active=True).count() >= 1
    for suggestion in Suggestion.objects.select_related("idea", "theme_membership"):
        assert suggestion.idea is not None and suggestion.idea.is_active
        assert suggestion.idea.theme_id == suggestion.theme_membership.theme_id
        assert suggestion.idea.label
    assert sum(Idea.objects.filter(is_active=True).values_list("size", flat=True)) == Suggestion.objects.count()


def test_copies_of_one_text_are_one_idea_and_a_second_reclustering_keeps_the_ids():
    for bodies in IDEAS.values():
        analyzed(bodies[0])
        analyzed(bodies[1])
    copy, original = analyzed(IDEAS["masks"][0]), Suggestion.objects.filter(body=IDEAS["masks"][0]).first()
    pipeline.recluster()
    before = dict(Suggestion.objects.values_list("pk", "idea_id"))
    assert before[copy.pk] == before[original.pk]

    pipeline.recluster()

    assert dict(Suggestion.objects.values_list("pk", "idea_id")) == before


@pytest.mark.parametrize("remade", [True, False], ids=["lists searched again", "stored lists"])
@pytest.mark.parametrize("stored", [True, False], ids=["keys stored", "analyzed before keys were stored"])
def test_suggestions_that_propose_one_thing_and_give_their_own_reasons_are_one_idea_of_all_their_people(
    monkeypatch, remade, stored
):
    if not remade:
        monkeypatch.setattr(pipeline, "LISTS_REMADE_LIMIT", 0)
    proposal = "روز انتخابات تعطیل رسمی اعلام شود"
    openings = ["پیشنهاد می‌کنم", "به نظر من بهتر است", "لطفاً", "خواهشمندم"]
    reasons = ["تا خطر ابتلا به کرونا کم شود.", "چون صف‌ها طولانی بود.", "تا مشارکت بیشتر شود.", ""]
    for bodies in IDEAS.values():
        for body in bodies:
            analyzed(body)
    holiday = [
        analyzed(f"{opening} {proposal} {reason}", title="تعطیلی روز انتخابات")
        for opening, reason in zip(openings, reasons, strict=True)
    ]
    if stored:
        keys = Suggestion.objects.filter(pk__in=[s.pk for s in holiday]).values_list("proposal_key", flat=True)
        assert len(set(keys)) == 1 and None not in keys
    else:
        Suggestion.objects.update(proposal_key=None)
    pipeline.recluster()

    ideas = {_idea_of(suggestion) for suggestion in holiday}
    assert len(ideas) == 1
    assert Idea.objects.get(pk=ideas.pop()).size == len(holiday)


def test_the_ids_of_ideas_carry_over_when_the_next_clustering_finds_them_again():
    theme = ThemeFactory()
    first, second = _suggestions(3), _suggestions(2)
    for suggestion in [*first, *second]:
        ThemeMembership.objects.create(suggestion=suggestion, theme=theme)
    grouping.write_ideas(
        members={"a": [s.pk for s in first], "b": [s.pk for s in second]}, labels={"a": "الف", "b": "ب"}
    )
    ids = {_idea_of(first[0]), _idea_of(second[0])}
    newcomer = _suggestions(1)[0]
    ThemeMembership.objects.create(suggestion=newcomer, theme=theme)

    written = grouping.write_ideas(
        members={7: [newcomer.pk, *(s.pk for s in first)], 9: [s.pk for s in second]}, labels={7: "تازه", 9: "ب"}
    )

    assert {written[7][0], written[9][0]} == ids
    assert _idea_of(newcomer) == _idea_of(first[0])
    assert Idea.objects.get(pk=_idea_of(first[0])).size == 4


def test_an_idea_whose_members_lie_in_two_themes_is_written_as_one_idea_per_theme():
    left, right = ThemeFactory(), ThemeFactory()
    members = _suggestions(3)
    ThemeMembership.objects.create(suggestion=members[0], theme=left)
    ThemeMembership.objects.create(suggestion=members[1], theme=left)
    ThemeMembership.objects.create(suggestion=members[2], theme=right, source=ThemeMembership.Source.REVIEWER)

    written = grouping.write_ideas(members={"x": [s.pk for s in members]}, labels={"x": "یک ایده"})

    assert len(written["x"]) == 2
    big, small = Idea.objects.get(pk=written["x"][0]), Idea.objects.get(pk=written["x"][1])
    assert (big.theme_id, big.size, small.theme_id, small.size) == (left.pk, 2, right.pk, 1)


def test_ideas_no_clustering_continues_are_retired_and_their_members_left_without_an_idea():
    stale = IdeaFactory(members=_suggestions(2))
    kept = _suggestions(2)
    for suggestion in kept:
        ThemeMembership.objects.create(suggestion=suggestion, theme=stale.theme)

    grouping.write_ideas(members={"k": [s.pk for s in kept]}, labels={"k": "ماند"})

    stale.refresh_from_db()
    assert (stale.is_active, stale.size) == (False, 0)
    assert not Suggestion.objects.filter(idea=stale).exists()


# Reviewers merge, split and move ideas ------------------------------------------------------------------


def test_merging_ideas_moves_every_member_and_retires_the_source():
    source = IdeaFactory(members=_suggestions(2))
    target = IdeaFactory(theme=source.theme, members=_suggestions(3))

    merged, moved = grouping.merge_ideas(source=source, target=target)

    source.refresh_from_db()
    assert (moved, merged.size, source.is_active, source.size) == (2, 5, False, 0)
    assert Suggestion.objects.filter(idea=target, idea_by_reviewer=True).count() == 5


def test_ideas_of_two_themes_are_not_merged_and_nothing_is_written():
    source, target = IdeaFactory(members=_suggestions(2)), IdeaFactory(members=_suggestions(2))
    before = _snapshot()

    with pytest.raises(grouping.GroupingError, match="دو محور"):
        grouping.merge_ideas(source=source, target=target)

    assert _snapshot() == before


def test_a_merge_with_itself_or_with_a_retired_idea_is_refused_in_persian():
    idea = IdeaFactory(members=_suggestions(2))
    retired = IdeaFactory(theme=idea.theme, is_active=False)
    with pytest.raises(grouping.GroupingError, match="با خودش"):
        grouping.merge_ideas(source=idea, target=idea)
    with pytest.raises(grouping.GroupingError, match="دیگر وجود ندارد"):
        grouping.merge_ideas(source=retired, target=idea)


def test_a_merge_a_reviewer_made_survives_the_next_reclustering():
    source = IdeaFactory(members=_suggestions(2))
    target = IdeaFactory(theme=source.theme, members=_suggestions(2))
    grouping.merge_ideas(source=source, target=target)
    members = list(Suggestion.objects.filter(idea=target).values_list("pk", flat=True))

    grouping.write_ideas(members={"a": members[:2], "b": members[2:]}, labels={"a": "الف", "b": "ب"})

    assert set(Suggestion.objects.filter(idea=target).values_list("pk", flat=True)) == set(members)
    target.refresh_from_db()
    assert (target.is_active, target.size) == (True, 4)


def test_splitting_an_idea_takes_each_chosen_suggestion_with_its_copies_and_keeps_the_split():
    original = SuggestionFactory(state=State.ANALYZED)
    copy = SuggestionFactory(state=State.ANALYZED, body=original.body)
    grouping.join_duplicate_group(suggestion=copy, original=original, by_reviewer=True)
    others = _suggestions(2)
    idea = IdeaFactory(members=[original, copy, *others])

    new_idea = grouping.split_idea(idea=idea, suggestion_ids=[original.pk], label="  ایدهٔ   جدا ")

    assert new_idea.label == "ایدهٔ جدا" and new_idea.label_edited
    assert new_idea.theme_id == idea.theme_id
    assert set(Suggestion.objects.filter(idea=new_idea).values_list("pk", flat=True)) == {original.pk, copy.pk}
    idea.refresh_from_db()
    assert (idea.size, new_idea.size) == (2, 2)

    everyone = [original.pk, copy.pk, *(s.pk for s in others)]
    grouping.write_ideas(members={"all": everyone}, labels={"all": "همه با هم"})

    assert _idea_of(original) == _idea_of(copy) == new_idea.pk
    assert {_idea_of(s) for s in others} == {idea.pk}


def test_a_split_that_would_empty_the_idea_or_names_strangers_is_refused_and_writes_nothing():
    members = _suggestions(2)
    idea = IdeaFactory(members=members)
    stranger = _suggestions(1)[0]
    before = _snapshot()

    with pytest.raises(grouping.GroupingError, match="باید در ایده بماند"):
        grouping.split_idea(idea=idea, suggestion_ids=[s.pk for s in members], label="همه")
    with pytest.raises(grouping.GroupingError, match="در این ایده نیستند"):
        grouping.split_idea(idea=idea, suggestion_ids=[stranger.pk], label="غریبه")
    with pytest.raises(grouping.GroupingError, match="خالی"):
        grouping.split_idea(idea=idea, suggestion_ids=[members[0].pk], label="  ")

    assert _snapshot() == before


def test_moving_an_idea_places_all_its_members_in_the_other_theme_as_a_reviewer_and_retires_an_emptied_theme():
    idea = IdeaFactory(members=_suggestions(3))
    old_theme, other = idea.theme, IdeaFactory(members=_suggestions(1)).theme

    moved = grouping.move_idea_to_theme(idea=idea, theme=other)

    assert moved.theme_id == other.pk
    placements = set(ThemeMembership.objects.filter(suggestion__idea=idea).values_list("theme_id", "source"))
    assert placements == {(other.pk, ThemeMembership.Source.REVIEWER)}
    old_theme.refresh_from_db()
    other.refresh_from_db()
    assert (old_theme.is_active, other.size) == (False, 4)
    with pytest.raises(grouping.GroupingError, match="همین محور"):
        grouping.move_idea_to_theme(idea=moved, theme=other)


def test_moving_some_members_of_an_idea_to_another_theme_splits_them_off_so_no_idea_straddles_two_themes():
    members = _suggestions(3)
    idea = IdeaFactory(members=members)
    elsewhere = IdeaFactory(members=_suggestions(1)).theme

    grouping.move_to_theme(suggestion_ids=[members[0].pk], theme=elsewhere)

    part = Idea.objects.get(pk=_idea_of(members[0]))
    assert part.pk != idea.pk and part.theme_id == elsewhere.pk and part.size == 1
    idea.refresh_from_db()
    assert idea.size == 2
    for suggestion in Suggestion.objects.filter(idea__isnull=False).select_related("idea", "theme_membership"):
        assert suggestion.idea.theme_id == suggestion.theme_membership.theme_id


def test_merging_themes_takes_their_ideas_along():
    idea = IdeaFactory(members=_suggestions(2))
    target = IdeaFactory(members=_suggestions(1)).theme

    grouping.merge_themes(source=idea.theme, target=target)

    idea.refresh_from_db()
    assert idea.theme_id == target.pk


def test_a_copy_joining_a_group_between_reclusterings_is_counted_in_its_idea_at_once():
    original = SuggestionFactory(state=State.ANALYZED)
    idea = IdeaFactory(members=[original])
    copy = SuggestionFactory(state=State.ANALYZED, body=original.body)

    grouping.join_duplicate_group(suggestion=copy, original=original)

    idea.refresh_from_db()
    assert (_idea_of(copy), idea.size) == (idea.pk, 2)


# People -------------------------------------------------------------------------------------------------


def test_the_people_of_an_idea_are_its_suggestions_and_the_supporters_of_any_of_them():
    members = _suggestions(3)
    idea = IdeaFactory(members=members)
    for n, suggestion in enumerate([members[0], members[0], members[2]]):
        Support.objects.create(idea=suggestion, tracking_code=f"S{n}XYZ", idea_text="متن", browser=f"browser-{n}")
    lonely = IdeaFactory(members=_suggestions(1))

    counted = {row.pk: (row.size, row.supporters, row.people) for row in Idea.objects.with_people()}

    assert counted[idea.pk] == (3, 3, 6)
    assert counted[lonely.pk] == (1, 0, 1)


def test_a_browser_that_backed_two_texts_of_one_idea_is_one_of_its_people():
    first, second = _suggestions(2)
    idea = IdeaFactory(members=[first, second])
    Support.objects.create(idea=first, tracking_code="T1AAAA", idea_text="متن", browser="same-browser")
    Support.objects.create(idea=second, tracking_code="T2AAAA", idea_text="متن", browser="same-browser")

    counted = Idea.objects.with_people().get(pk=idea.pk)

    assert (counted.supporters, counted.people) == (1, 3)


def test_only_ideas_that_are_new_or_changed_members_are_labelled_again():
    theme = ThemeFactory()
    first, second = _suggestions(2), _suggestions(2)
    for suggestion in [*first, *second]:
        ThemeMembership.objects.create(suggestion=suggestion, theme=theme)
    asked: list[set] = []

    def labels(keys):
        asked.append(set(keys))
        return {key: f"برچسب {key}" for key in keys}

    members = {"a": [s.pk for s in first], "b": [s.pk for s in second]}
    grouping.write_ideas(members=members, labels=labels)
    grouping.write_ideas(members=members, labels=labels)
    newcomer = _suggestions(1)[0]
    ThemeMembership.objects.create(suggestion=newcomer, theme=theme)
    grouping.write_ideas(members={**members, "b": [*members["b"], newcomer.pk]}, labels=labels)

    assert asked == [{"a", "b"}, set(), {"b"}]
    assert Idea.objects.get(pk=_idea_of(first[0])).label == "برچسب a"


def test_an_ideas_label_is_one_members_title_or_main_clause_never_a_title_run_into_its_body():
    theme = ThemeFactory()
    texts = [
        ("ماسک رایگان در شعبه‌ها", "با سلام. در ورودی همهٔ شعبه‌ها ماسک رایگان به رأی‌دهندگان داده شود."),
        ("پیشنهاد بهداشتی", "در ورودی شعبه‌ها ماسک رایگان بدهید تا بیماری پخش نشود."),
    ]
    rows = []
    for title, body in texts:
        suggestion = SuggestionFactory(state=State.ANALYZED, title=title, body=body)
        ThemeMembership.objects.create(suggestion=suggestion, theme=theme)
        rows.append((suggestion.pk, analysis.display_form(f"{title}\n{body}"), None))

    idea_sync.sync_ideas(rows, keys=["masks", "masks"])

    # What the analysis would take from each title and each body on its own.
    alone = [analysis.display_form(text) for pair in texts for text in pair]
    candidates = set(idea_labels({n: [n] for n in range(len(alone))}, dict(enumerate(alone))).values())
    (idea,) = Idea.objects.filter(is_active=True)
    assert idea.label in candidates


def test_a_reclustering_stores_the_ideas_analyze_file_finds_in_the_development_set():
    if not DEV_SET.exists():
        pytest.skip(f"the development set is not beside the checkout ({DEV_SET})")
    rows = [json.loads(line) for line in DEV_SET.open(encoding="utf-8")]
    dataset_id = {}
    for row in rows:
        title, body = title_and_body(row["text"])
        dataset_id[analyzed(body, title=title).pk] = row["id"]
    pipeline.recluster()

    batch = analyze_corpus([(row["id"], row["text"]) for row in rows], semantic=False)
    in_file, in_portal = {}, {}
    for item in batch:
        in_file.setdefault(item["idea"], set()).add(item["id"])
    for pk, idea_id in Suggestion.objects.values_list("pk", "idea_id"):
        in_portal.setdefault(idea_id, set()).add(dataset_id[pk])
    assert None not in in_portal
    assert {frozenset(ids) for ids in in_portal.values()} == {frozenset(ids) for ids in in_file.values()}


def test_two_texts_a_reviewer_kept_apart_are_never_one_idea_after_a_reclustering():
    for bodies in IDEAS.values():
        for body in bodies:
            analyzed(body)
    pipeline.recluster()
    rows = Suggestion.objects.values_list("pk", "idea_id", "duplicate_group_id").order_by("pk")
    members: dict = {}
    for pk, idea_id, group_id in rows:
        members.setdefault(idea_id, []).append((pk, group_id))
    # Two texts the analysis put in one idea without their being copies of each other.
    first, second = next(
        (a, b)
        for together in members.values()
        for a, group_a in together
        for b, group_b in together
        if a < b and (group_a is None or group_a != group_b)
    )
    SeparatePair.objects.create(first_id=first, second_id=second)

    pipeline.recluster()

    assert _idea_of(Suggestion(pk=first)) != _idea_of(Suggestion(pk=second))

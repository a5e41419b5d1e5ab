from suggestions.analysis.ideas import carry_ids, group_ideas, idea_labels, idea_similar, proposal_key, without_opening
from suggestions.analysis.normalize import display_form

HOLIDAY = "تعطیلی روز انتخابات\n{} روز انتخابات تعطیل رسمی اعلام شود تا همه بتوانند رأی بدهند {}"


def test_copies_share_an_idea_keyed_by_the_first_item():
    keys = group_ideas(ids=["a", "b", "c"], canonical=["a", "a", "c"], similar=[[], [], []])
    assert keys == ["a", "a", "c"]


def test_two_texts_that_list_each_other_closely_are_one_idea():
    keys = group_ideas(
        ids=["a", "b", "c"],
        canonical=["a", "b", "c"],
        similar=[[["b", 0.8], ["c", 0.2]], [["a", 0.8], ["c", 0.1]], [["a", 0.2], ["b", 0.1]]],
    )
    assert keys == ["a", "a", "c"]


def test_a_weak_link_does_not_make_one_idea_even_between_mutual_neighbours():
    keys = group_ideas(ids=["a", "b"], canonical=["a", "b"], similar=[[["b", 0.2]], [["a", 0.2]]])
    assert keys == ["a", "b"]


def test_a_one_sided_link_does_not_make_one_idea():
    # b is a's best match, but a is not among b's closest: b belongs with others.
    keys = group_ideas(
        ids=["a", "b", "c", "d"],
        canonical=["a", "b", "c", "d"],
        similar=[
            [["b", 0.9]],
            [["c", 0.95], ["d", 0.95], ["a", 0.9]],
            [["b", 0.95], ["d", 0.95]],
            [["b", 0.95], ["c", 0.95]],
        ],
    )
    assert keys == ["a", "b", "b", "b"]


def test_a_pair_a_reviewer_separated_is_never_one_idea_even_through_a_third_text():
    similar = [[["b", 0.9], ["c", 0.9]], [["a", 0.9], ["c", 0.9]], [["a", 0.9], ["b", 0.9]]]
    keys = group_ideas(
        ids=["a", "b", "c"], canonical=["a", "b", "c"], similar=similar, separate=frozenset({frozenset({"a", "b"})})
    )
    assert keys[0] != keys[1]
    assert keys[2] in (keys[0], keys[1])


def test_an_idea_label_is_the_main_clause_of_one_of_its_texts_without_the_greeting():
    texts = {
        1: "با سلام، پیشنهاد می‌کنم ساعت رای‌گیری تا نیمه‌شب تمدید شود تا ازدحام کم شود.",
        2: "لطفا ساعت رای‌گیری را تا نیمه‌شب تمدید کنید که شلوغ نشود.",
    }
    label = idea_labels({1: [1, 2]}, texts)[1]
    assert label in ("ساعت رای‌گیری تا نیمه‌شب تمدید شود", "ساعت رای‌گیری را تا نیمه‌شب تمدید کنید")


def test_an_idea_keeps_the_id_of_the_earlier_idea_it_overlaps_most():
    previous = {10: {"a", "b", "c"}, 20: {"d"}}
    current = {"a": {"a", "b"}, "c": {"c", "d", "e"}, "f": {"f"}}
    assert carry_ids(previous, current) == {"a": 10, "c": 20, "f": None}


def test_an_earlier_idea_id_is_carried_by_one_idea_only():
    previous = {10: {"a", "b", "c", "d"}}
    current = {"a": {"a", "b", "c"}, "d": {"d"}}
    assert carry_ids(previous, current) == {"a": 10, "d": None}


def test_idea_similarity_ranks_a_paraphrase_above_a_text_that_only_shares_the_subject():
    import numpy as np
    from scipy import sparse

    lexical = sparse.csr_matrix(np.array([[1.0, 0.0], [0.8, 0.6], [0.6, 0.8]], dtype=np.float32))
    # e5: every text is close to the others (raw cosines near 0.9), the second a little closer in meaning.
    dense = np.array([[1.0, 0.3, 0.0], [1.0, 0.35, 0.05], [1.0, 0.0, 0.3]], dtype=np.float32)
    dense /= np.linalg.norm(dense, axis=1, keepdims=True)
    rescored = idea_similar([[["c", 0.9], ["b", 0.89]], [], []], ["a", "b", "c"], lexical, dense)
    assert [other for other, _ in rescored[0]] == ["b", "c"]
    assert rescored[0][0][1] > 0.8 > rescored[0][1][1]


def test_an_idea_label_leaves_out_a_long_greeting_and_an_opinion_opening():
    texts = {1: "با سلام و احترام، به نظر من نوبت‌دهی اینترنتی در شهرهای بزرگ انجام شود تا صف‌ها طولانی نشود."}
    assert idea_labels({1: [1]}, texts) == {1: "نوبت‌دهی اینترنتی در شهرهای بزرگ انجام شود"}


def test_a_chain_of_close_pairs_is_not_one_idea_unless_every_pair_is_close():
    # a-b and b-c are mutual close neighbours, a and c are not listed by each other: at most two of them join.
    similar = [[["b", 0.9]], [["a", 0.9], ["c", 0.8]], [["b", 0.8]]]
    keys = group_ideas(ids=["a", "b", "c"], canonical=["a", "b", "c"], similar=similar)
    assert keys == ["a", "a", "c"]


def test_re_scored_lists_read_in_order_by_index_or_from_the_end_are_the_same_lists():
    import numpy as np
    from scipy import sparse

    lexical = sparse.csr_matrix(np.array([[1.0, 0.0], [0.8, 0.6], [0.6, 0.8]], dtype=np.float32))
    rescored = idea_similar([[["c", 0.9], ["b", 0.89]], [], [["a", 0.5]]], ["a", "b", "c"], lexical)
    assert len(rescored) == 3
    assert list(rescored) == [rescored[0], rescored[1], rescored[2]] == rescored[0:3]
    assert rescored[-1] == rescored[2] == [["a", 0.6]]
    assert [other for other, _ in rescored[0]] == ["b", "c"]
    assert rescored[1] == []


def _proposals(*texts: str) -> list[int]:
    return [proposal_key(display_form(text)) for text in texts]


def test_texts_that_propose_one_thing_in_one_wording_but_open_and_reason_apart_are_one_idea():
    texts = [
        HOLIDAY.format("پیشنهاد می‌کنم", "تا خطر ابتلا به کرونا کم شود."),
        HOLIDAY.format("به نظر من بهتر است", "چون در انتخابات گذشته صف‌ها بسیار طولانی بود."),
        HOLIDAY.format("با سلام، لطفاً", "تا مشارکت مردم بیشتر شود."),
    ]
    keys = group_ideas(
        ids=["a", "b", "c"], canonical=["a", "b", "c"], similar=[[], [], []], proposals=_proposals(*texts)
    )
    assert keys == ["a", "a", "a"]


def test_texts_that_give_one_reason_for_different_proposals_are_not_one_idea_for_it():
    texts = [
        "پیشنهاد می‌کنم روز انتخابات تعطیل رسمی اعلام شود تا مشارکت مردم بیشتر شود.",
        "پیشنهاد می‌کنم ساعت رأی‌گیری تا نیمه‌شب تمدید شود تا مشارکت مردم بیشتر شود.",
    ]
    keys = group_ideas(ids=["a", "b"], canonical=["a", "b"], similar=[[], []], proposals=_proposals(*texts))
    assert keys == ["a", "b"]


def test_a_pair_a_reviewer_separated_stays_apart_though_both_propose_one_thing_in_one_wording():
    texts = [HOLIDAY.format("لطفاً", "تا مشارکت مردم بیشتر شود."), HOLIDAY.format("خواهشمندم", "")] * 2
    keys = group_ideas(
        ids=["a", "b", "c", "d"],
        canonical=["a", "b", "c", "d"],
        similar=[[], [], [], []],
        separate=frozenset({frozenset({"a", "b"})}),
        proposals=_proposals(*texts),
    )
    assert keys[0] != keys[1]
    assert {keys[2], keys[3]} <= {keys[0], keys[1]}


def test_a_proposal_written_with_a_space_a_zero_width_joiner_or_neither_is_one_proposal():
    keys = _proposals(
        "لطفاً صف‌های رأی‌دهندگان فاصله‌گذاری شود تا ازدحام نشود.",
        "خواهشمندم صف های رأی دهندگان فاصله گذاری شود چون خطرناک است.",
        "صفهای رأیدهندگان فاصلهگذاری شود.",
    )
    assert len(set(keys)) == 1 and keys[0]


def test_a_proposal_of_fewer_than_three_words_joins_no_one():
    assert _proposals("رای اینترنتی.", "لطفاً رای اینترنتی") == [0, 0]


def test_a_duplicate_group_joins_by_its_first_items_proposal():
    holiday, hours = HOLIDAY.format("لطفاً", ""), "ساعت رأی‌گیری تا نیمه‌شب تمدید شود."

    def ideas(*texts):  # b and c are one duplicate group, b its first
        return group_ideas(
            ids=["a", "b", "c"], canonical=["a", "b", "b"], similar=[[]] * 3, proposals=_proposals(*texts)
        )

    assert ideas(holiday, holiday, hours) == ["a", "a", "a"]
    assert ideas(holiday, hours, holiday) == ["a", "b", "b"]


def test_an_opening_that_says_it_would_be_better_is_no_part_of_what_is_proposed():
    assert without_opening("به نظر من بهتر است صندوق‌ها ضدعفونی شوند") == "صندوق‌ها ضدعفونی شوند"
    assert without_opening("بهتر است که صندوق‌ها ضدعفونی شوند") == "صندوق‌ها ضدعفونی شوند"

import os
import signal
import threading
import time

import numpy as np

from suggestions.analysis import corpus, duplicate_groups, match_form
from suggestions.analysis.parallel import Aside, WorkerLost, in_order, on_threads


def _square(n):
    return n * n


def test_results_come_back_in_the_order_of_the_tasks_from_forked_processes():
    assert list(in_order(_square, range(50), workers=2)) == [n * n for n in range(50)]


def _process(_):
    return os.getpid()


def _slower_first(n):
    time.sleep(0.002 * (10 - n))  # the first tasks end last
    return n, threading.get_ident()


def test_results_come_back_in_the_order_of_the_tasks_from_threads_that_end_out_of_order():
    results = list(on_threads(_slower_first, range(10), threads=3))
    assert [n for n, _ in results] == list(range(10))
    assert threading.get_ident() not in {thread for _, thread in results}


def test_with_two_workers_the_tasks_run_in_other_processes_and_with_one_here():
    assert os.getpid() not in set(in_order(_process, range(8), workers=2))
    assert set(in_order(_process, range(8), workers=1)) == {os.getpid()}


def _frozen(_):
    import gc

    return gc.get_freeze_count()


def test_the_forked_processes_collect_none_of_what_this_one_held_and_this_one_collects_it_again_after():
    import gc

    held = [[n] for n in range(1_000)]  # containers the collector tracks, made before the fork
    frozen = list(in_order(_frozen, [0, 1, 2], workers=2))
    assert all(count >= len(held) for count in frozen)
    assert gc.get_freeze_count() == 0


def test_no_task_gives_no_result():
    assert list(in_order(_square, [], workers=2)) == []


def _fails(message):
    raise ValueError(message)


def test_work_set_aside_runs_in_a_forked_process_when_it_may_fork_and_here_when_not():
    with Aside(_process, None, fork=True) as aside:
        assert aside.result() != os.getpid()
    with Aside(_process, None, fork=False) as aside:
        assert aside.result() == os.getpid()


def test_work_set_aside_that_fails_raises_its_error_where_its_result_is_asked_for():
    import pytest

    with Aside(_fails, "خراب", fork=True) as aside, pytest.raises(ValueError, match="خراب"):
        aside.result()


def test_leaving_work_set_aside_untaken_ends_its_process():
    import multiprocessing

    with Aside(_square, 3, fork=True):
        assert len(multiprocessing.active_children()) == 1
    assert multiprocessing.active_children() == []


def _killed_at_three(n):
    if n == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return n


def test_a_forked_process_killed_midway_is_an_error_where_results_are_taken_not_a_wait_for_ever(
    fails_rather_than_waits,
):
    import pytest

    with pytest.raises(WorkerLost):
        list(in_order(_killed_at_three, range(8), workers=2))
    with Aside(_killed_at_three, 3, fork=True) as aside, pytest.raises(WorkerLost):
        aside.result()


def _slow_after_three():
    yield from range(4)
    time.sleep(1)  # the process given task 3 is gone before the next task is handed over
    yield from range(4, 8)


def test_a_task_handed_over_after_a_forked_process_was_killed_is_the_same_error(fails_rather_than_waits):
    import pytest

    with pytest.raises(WorkerLost):
        list(in_order(_killed_at_three, _slow_after_three(), workers=2))


def test_a_few_thousand_texts_signatures_are_shared_among_the_processes(monkeypatch):
    from benchmarks.harness.corpus import generate

    chunks = []

    def counted(function, tasks, *, workers):
        tasks = list(tasks)
        if function is corpus.signatures_of_match_forms:
            chunks.extend(tasks)
        return in_order(function, tasks, workers=workers)

    monkeypatch.setattr(corpus, "in_order", counted)
    matches = [match_form(item.text) for item in generate(5_000, seed=3)]
    duplicate_groups([f"s{i}" for i in range(len(matches))], matches, workers=2)
    assert len(chunks) >= 2


def test_duplicate_groups_in_two_processes_are_those_of_one(monkeypatch):
    from benchmarks.harness.corpus import generate

    monkeypatch.setattr(corpus, "_NEAR_BATCH", 32)
    monkeypatch.setattr(corpus, "_SIGNATURE_CHUNK", 50)
    matches = [match_form(item.text) for item in generate(400, seed=2)] + [""]
    ids = [f"s{i}" for i in range(len(matches))]
    alone, alone_signatures = duplicate_groups(ids, matches, workers=1)
    shared, shared_signatures = duplicate_groups(ids, matches, workers=2)
    assert shared == alone
    assert np.array_equal(np.asarray(shared_signatures), np.asarray(alone_signatures))
    assert len(set(alone)) < len(alone)


def test_a_collection_analyzed_in_two_processes_is_analyzed_as_in_one(monkeypatch):
    from benchmarks.harness.corpus import generate
    from suggestions.analysis import engine
    from suggestions.analysis.corpus import iter_corpus

    monkeypatch.setattr(engine, "_FORMS_CHUNK", 40)
    records = [(f"s{i}", item.text) for i, item in enumerate(generate(300, seed=4))] + [("blank", "   ")]
    alone = list(iter_corpus(records, semantic=False, workers=1))
    assert list(iter_corpus(records, semantic=False, workers=2)) == alone


def test_the_similar_lists_of_a_collection_above_the_shard_size_are_searched_in_this_process(monkeypatch):
    from benchmarks.harness.corpus import generate
    from suggestions.analysis import engine
    from suggestions.analysis.corpus import iter_corpus

    searched_by = []

    def similar_lists(*args, workers, **kwargs):
        searched_by.append(workers)
        return corpus.similar_lists(*args, workers=workers, **kwargs)

    monkeypatch.setattr(engine, "similar_lists", similar_lists)
    records = [(f"s{i}", item.text) for i, item in enumerate(generate(120, seed=4))]
    small = list(iter_corpus(records, semantic=False, workers=2))
    monkeypatch.setattr(engine, "SHARD_ABOVE", 100)
    large = list(iter_corpus(records, semantic=False, workers=2))
    assert searched_by == [2, 1]
    assert large == small

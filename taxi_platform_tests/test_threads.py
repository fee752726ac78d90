"""The pools' one rule (`taxi_platform/threads.py`): every call attempted, then reported."""

import threading

import pytest

from taxi_platform.threads import attempt_in_threads, each_in_threads


def _call_failing_on(bad: set[int], seen: list[int]):
    lock = threading.Lock()

    def call(item: int) -> int:
        with lock:
            seen.append(item)
        if item in bad:
            raise ValueError(f"item {item}")
        return item * item

    return call


@pytest.mark.parametrize("workers", [1, 4])
def test_results_come_in_item_order(workers):
    items = list(range(20))
    assert each_in_threads(_call_failing_on(set(), []), items, workers) == [i * i for i in items]


@pytest.mark.parametrize("workers", [1, 4])
def test_every_call_is_attempted_and_the_first_failure_in_order_raised(workers):
    seen: list[int] = []
    with pytest.raises(ValueError, match="item 3"):
        each_in_threads(_call_failing_on({3, 11}, seen), list(range(16)), workers)
    assert sorted(seen) == list(range(16))


def test_attempts_name_each_failure_and_keep_the_other_values():
    attempts = attempt_in_threads(_call_failing_on({2, 5}, []), list(range(8)), 3)
    assert [a.item for a in attempts] == list(range(8))
    assert [a.item for a in attempts if a.error is not None] == [2, 5]
    assert [a.value for a in attempts if a.error is None] == [0, 1, 9, 16, 36, 49]
    assert str(attempts[5].error) == "item 5"

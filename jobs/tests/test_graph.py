"""The write graph on plain functions: order by needs, concurrency bound, first failure."""

from __future__ import annotations

import threading
import time

import pytest

from sales_etl.graph import TaskFailed, run_graph


def recorder():
    events, lock = [], threading.Lock()

    def task(name, seconds=0.0, fail=False):
        def run():
            with lock:
                events.append(("start", name))
            time.sleep(seconds)
            if fail:
                raise RuntimeError(f"{name} broke\nsecond line")
            with lock:
                events.append(("end", name))

        return run

    return events, task


def test_each_task_starts_after_what_it_needs_and_all_run():
    events, task = recorder()
    tasks = {
        "invoice_details": (task("invoice_details", 0.05), set()),
        "fact_sales": (task("fact_sales"), {"invoice_details"}),
        "summary": (task("summary"), {"fact_sales"}),
        "accounts": (task("accounts"), set()),
    }
    timings = {}
    run_graph(tasks, timings, workers=3)
    assert sorted(timings) == sorted(tasks)
    order = [name for kind, name in events if kind == "start"]
    ends = [name for kind, name in events if kind == "end"]
    assert ends.index("invoice_details") < order.index("fact_sales") and ends.index("fact_sales") < order.index("summary")


def test_at_most_workers_run_at_once():
    running, peak, lock = [0], [0], threading.Lock()

    def work():
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1

    run_graph({f"t{i}": (work, set()) for i in range(6)}, {}, workers=2)
    assert peak[0] == 2


def test_the_first_failure_cancels_once_starts_nothing_more_and_is_raised():
    events, task = recorder()
    cancelled = []
    tasks = {
        "a": (task("a", fail=True), set()),
        "b": (task("b", 0.1), set()),
        "after_a": (task("after_a"), {"a"}),
    }
    with pytest.raises(TaskFailed) as error:
        run_graph(tasks, {}, workers=2, on_failure=lambda: cancelled.append(1))
    assert error.value.name == "a" and str(error.value) == "writing a: a broke"
    assert cancelled == [1]
    assert ("start", "after_a") not in events
    assert ("end", "b") in events, "a task already running is waited for"


def test_a_need_that_is_no_task_is_refused_before_anything_runs():
    events, task = recorder()
    with pytest.raises(ValueError, match="fact_sales"):
        run_graph({"fact_sales": (task("fact_sales"), {"invoices"})}, {}, workers=1)
    assert events == []

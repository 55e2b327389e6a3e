"""The write graph: run tasks as soon as what each needs is done, a few at a time.

No Spark here: the job passes its writes as tasks and what to do on the first failure (cancel
the running Spark jobs), so the scheduling is tested on plain functions.
"""

from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Callable

from .publish import first_line

Task = tuple[Callable[[], None], set]


class TaskFailed(Exception):
    """The first task that failed, by name, with its error."""

    def __init__(self, name: str, error: BaseException):
        super().__init__(f"writing {name}: {first_line(error)}")
        self.name, self.error = name, error


def run_graph(tasks: dict[str, Task], timings: dict[str, float], workers: int, on_failure: Callable[[], None] = lambda: None) -> None:
    """Runs {name: (function, names it needs)}, each as soon as its needs are done, up to
    `workers` at once, recording each one's seconds in `timings`. The first failure calls
    `on_failure` once, starts nothing more, waits for the running ones and is raised as
    TaskFailed. A task whose needs are not all tasks never starts (and is reported)."""
    unknown = {name: needs - tasks.keys() for name, (_, needs) in tasks.items() if needs - tasks.keys()}
    if unknown:
        raise ValueError(f"tasks need what is not a task: {unknown}")
    done: set[str] = set()
    started: dict = {}
    failure = None
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sales_etl-write") as pool:
        while len(done) < len(tasks):
            if failure is None:
                for name, (function, needs) in tasks.items():
                    if name not in done and name not in started.values() and needs <= done:
                        started[pool.submit(_timed, function)] = name
            if not started:
                break
            finished, _ = wait(list(started), return_when=FIRST_COMPLETED)
            for future in finished:
                name = started.pop(future)
                try:
                    timings[name] = future.result()
                    done.add(name)
                except Exception as exc:  # noqa: BLE001 - the first failure is the run's; the rest are its echoes
                    if failure is None:
                        failure = TaskFailed(name, exc)
                        on_failure()
                    done.add(name)
    if failure is not None:
        raise failure


def _timed(function: Callable[[], None]) -> float:
    started = time.monotonic()
    function()
    return round(time.monotonic() - started, 3)

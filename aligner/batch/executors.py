"""Where batch items run: local worker processes or a Dask cluster, behind one small interface."""

from __future__ import annotations

import importlib
import logging
import os
import signal
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

from aligner.batch.items import BatchError

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

EXECUTORS = ("local", "dask")


class WorkerCrash(Exception):
    """The process running a task died (killed, out of memory, a crash in native code)."""


class Executor(Protocol):
    """Runs ``fn`` on each argument in parallel and yields results as they complete.

    ``run`` yields ``(index, result)`` pairs, or ``(index, exception)`` when the task could not
    return (its worker died); every index exactly once. Used as a context manager, which
    releases the workers.
    """

    name: str

    def run(
        self, fn: Callable[[T], R], args: Sequence[T]
    ) -> Iterator[tuple[int, R | BaseException]]: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


# How often a local worker checks that the batch process that started it is still there.
ORPHAN_CHECK_S = 0.5


def _exit_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK_S)
    os._exit(1)


def _init_worker() -> None:
    # Ctrl-C reaches the whole process group; the parent decides what to do, workers just end
    # when it shuts them down (otherwise each prints its own KeyboardInterrupt traceback).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Killed alone (kill -9 of its PID, the OOM killer), the batch process leaves its workers
    # waiting for tasks that never come: each holds the pipes open, so none reads an end of
    # file. They end themselves once they are orphaned (their parent changes).
    watch = threading.Thread(
        target=_exit_when_orphaned, args=(os.getppid(),), name="orphan-watch", daemon=True
    )
    watch.start()


class LocalExecutor:
    """``jobs`` worker processes on this machine (``concurrent.futures.ProcessPoolExecutor``).

    At most ``2 * jobs`` tasks are handed out at a time, so when a worker dies the tasks that
    may have killed it are known: the pool is rebuilt and each of them is retried alone; one
    that kills its worker alone fails with ``WorkerCrash``, the others go on.
    """

    name = "local"

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        # Two tasks per worker in hand: one running, one queued, so that no worker waits while
        # this process writes the previous item's files. (With one, jobs=2 ran 30% slower.)
        self.window = 2 * self.jobs
        self._pool: ProcessPoolExecutor | None = None

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.jobs, initializer=_init_worker)

    def __enter__(self) -> Self:
        self._pool = self._new_pool()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def run(
        self, fn: Callable[[T], R], args: Sequence[T]
    ) -> Iterator[tuple[int, R | BaseException]]:
        if self._pool is None:
            self._pool = self._new_pool()
        pending = deque(range(len(args)))
        suspects: deque[int] = deque()  # in flight when a worker died; retried one at a time
        running: dict[Future[R], int] = {}
        solo = False  # a suspect is running alone
        while pending or suspects or running:
            if not running and suspects:
                index = suspects.popleft()
                running[self._pool.submit(fn, args[index])] = index
                solo = True
            while not solo and not suspects and pending and len(running) < self.window:
                index = pending.popleft()
                running[self._pool.submit(fn, args[index])] = index
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            broken = any(isinstance(f.exception(), BrokenProcessPool) for f in done)
            if broken:  # every other running task ends too, with a result or the same error
                done, _ = wait(running)
            for future in done:
                index = running.pop(future)
                error = future.exception()
                if not isinstance(error, BrokenProcessPool):
                    yield index, error if error is not None else future.result()
                elif solo:
                    yield index, WorkerCrash("the worker process died while making this item")
                else:
                    suspects.append(index)
            solo = False
            if broken:
                log.warning("a worker process died; retrying its tasks one at a time")
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = self._new_pool()


class DaskExecutor:
    """Tasks on a Dask distributed cluster: ``Client.submit`` and ``as_completed``.

    With ``scheduler`` None, a ``LocalCluster`` of ``jobs`` single-threaded worker processes is
    started for the run (the pipeline is pure Python: threads would share one GIL). Workers need
    this package installed and the input files at the same paths (a shared file system); they
    return texts, and this process writes the files. Dask retries a task whose worker dies and
    gives up with ``KilledWorker``, which becomes that item's error.
    """

    name = "dask"

    def __init__(self, scheduler: str | None = None, jobs: int | None = None) -> None:
        self.scheduler = scheduler
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        # distributed's Client and LocalCluster are only partly annotated: held as Any.
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> Self:
        try:
            distributed: Any = importlib.import_module("distributed")
        except ImportError as err:
            raise BatchError(
                "the dask executor needs dask.distributed: pip install 'aligner[batch-dask]'"
            ) from err
        try:
            if self.scheduler is None:
                self._cluster = distributed.LocalCluster(
                    n_workers=self.jobs,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
                self._client = distributed.Client(self._cluster)
            else:
                self._client = distributed.Client(self.scheduler, timeout="10s")
        except (OSError, TimeoutError) as err:
            self.__exit__(None, None, None)
            where = self.scheduler or "a local cluster"
            raise BatchError(f"cannot reach the Dask scheduler at {where}: {err}") from err
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def run(
        self, fn: Callable[[T], R], args: Sequence[T]
    ) -> Iterator[tuple[int, R | BaseException]]:
        as_completed: Any = importlib.import_module("distributed").as_completed
        if self._client is None:
            raise BatchError("the Dask executor is used outside its 'with' block")
        run_id = uuid.uuid4().hex[:8]  # unique keys: the same item in two runs is two tasks
        futures: list[Any] = [
            self._client.submit(fn, arg, key=f"aligner-{run_id}-{index}", pure=False)
            for index, arg in enumerate(args)
        ]
        position = {future.key: index for index, future in enumerate(futures)}
        try:
            for future in as_completed(futures):
                index = position[future.key]
                if future.status == "error":
                    error = future.exception()
                    yield index, error if isinstance(error, BaseException) else WorkerCrash(error)
                else:
                    yield index, future.result()
                future.release()
        finally:
            self._client.cancel([f for f in futures if not f.done()])


def make_executor(kind: str, *, jobs: int | None = None, scheduler: str | None = None) -> Executor:
    """An executor by name: ``"local"`` or ``"dask"`` (``scheduler``: ``tcp://host:port``).

    Raises:
        BatchError: An unknown kind, or a scheduler given for the local executor.
    """
    if kind == "local":
        if scheduler is not None:
            raise BatchError("--scheduler is for the dask executor (--executor dask)")
        return LocalExecutor(jobs)
    if kind == "dask":
        return DaskExecutor(scheduler, jobs)
    raise BatchError(f"unknown executor {kind!r}; choose from {', '.join(EXECUTORS)}")

"""Where the build plan's units of work run: in this process, or on a Dask cluster.

Both take a function and its inputs and give the results back in input order,
so the plan (:mod:`exograph.plan`) and everything after it are the same whichever
runs it. Dask (``dask.distributed``) is imported only when asked for: it runs the
same Python functions on a ``LocalCluster`` of worker processes on this machine,
or on an existing cluster (``dask scheduler`` / ``dask worker``, Kubernetes,
SLURM) named by its scheduler's address, where every worker must see the inputs
under the same paths.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Literal, Protocol, TypeVar, get_args

from .errors import ExographError

__all__ = ["ENGINES", "DaskExecutor", "Engine", "EngineError", "Executor", "LocalExecutor", "make_executor"]

T = TypeVar("T")
R = TypeVar("R")

Engine = Literal["local", "dask"]
ENGINES: tuple[Engine, ...] = get_args(Engine)


class EngineError(ExographError):
    """The execution engine could not be started or reached."""


class Executor(Protocol):
    """Runs a function over inputs and yields the results in input order."""

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]: ...

    def close(self) -> None: ...

    @property
    def slots(self) -> int:
        """How many tasks run at once (the plan cuts its work into several times as many)."""
        ...


class LocalExecutor:
    """This process, one item after the other (the fast default for small inputs)."""

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        return map(function, items)

    def close(self) -> None:
        return None

    @property
    def slots(self) -> int:
        return 1


class DaskExecutor:
    """A Dask cluster: a LocalCluster of ``workers`` processes, or the one whose scheduler is at ``scheduler``."""

    def __init__(self, *, workers: int | None = None, scheduler: str | None = None) -> None:
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise EngineError("--engine dask needs Dask: pip install 'exograph[dask]'") from exc
        self._cluster: Any = None
        try:
            if scheduler is not None:
                self.client = Client(scheduler, timeout="20s")
            else:
                # No dashboard, so nobody reads the workers' statistical profile: its sampling thread would
                # take each worker's GIL a hundred times a second for nothing.
                with dask.config.set({"distributed.worker.profile.enabled": False}):
                    self._cluster = LocalCluster(
                        n_workers=workers or 2,
                        threads_per_worker=1,
                        processes=True,
                        host="127.0.0.1",
                        dashboard_address=None,
                    )
                self.client = Client(self._cluster)
        except (OSError, TimeoutError) as exc:
            raise EngineError(f"cannot reach the Dask scheduler {scheduler or '(local)'}: {exc}") from None

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        futures = self.client.map(function, list(items), pure=False)
        for future in futures:  # in input order; each result is released once read
            result = future.result()
            future.release()
            yield result

    @property
    def slots(self) -> int:
        workers = self.client.scheduler_info().get("workers", {})
        return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))

    def close(self) -> None:
        if self._cluster is not None:
            # Our own workers are about to stop: one whose heartbeat meets the scheduler already closed logs a
            # traceback for a connection that was meant to close. Their errors while they worked came back as
            # the tasks' exceptions; from here on they have nothing to say.
            with contextlib.suppress(Exception):
                self.client.run(_quiet_for_shutdown)
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def _quiet_for_shutdown() -> None:
    """In a worker process of our own LocalCluster: Dask's logging off, as the cluster closes."""
    logging.getLogger("distributed").setLevel(logging.CRITICAL + 1)


def make_executor(engine: Engine, *, workers: int | None = None, scheduler: str | None = None) -> Executor:
    """The executor for ``engine`` (``scheduler`` implies Dask)."""
    if engine == "dask" or scheduler is not None:
        return DaskExecutor(workers=workers, scheduler=scheduler)
    return LocalExecutor()

"""Which engine runs the pool's stages: datatrove's executors, chosen by `--executor local|slurm|ray`.

- local: datatrove's LocalPipelineExecutor, with one change to how it runs tasks in parallel: a process pool that
  notices a worker that died (killed, out of memory) and stops with a PoolError, where datatrove's multiprocess pool
  waits forever for the lost task. Everything else (per-task logs, stats, completion markers, skipping completed
  tasks) is datatrove's own `_run_for_rank`.
- slurm: SlurmPipelineExecutor; every stage is a job array depending on the previous stage's (submitted at once;
  the command returns when they are queued).
- ray: RayPipelineExecutor on the Ray cluster at --ray-address (or a local one).

A task that finished is marked in `<stage logging dir>/completions/`, so running the same command again after a
crash runs only the unfinished tasks, on any executor.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import sys
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path

from datatrove.executor import LocalPipelineExecutor
from datatrove.executor.base import PipelineExecutor
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.stats import PipelineStats
from stance_corpus.pool.errors import PoolError

EXECUTORS = ("local", "slurm", "ray")


@dataclass(frozen=True)
class EngineSettings:
    """How to run the stages: the executor and its resources."""

    executor: str = "local"
    workers: int | None = None  # local: processes (default: all cores); slurm, ray: tasks at once (default: all)
    verbose: bool = False  # datatrove's own log lines on stderr (they are always in each stage's logs/ folder)
    partition: str | None = None  # slurm
    time: str = "24:00:00"  # slurm: time limit of one task
    cpus_per_task: int = 1  # slurm, ray
    mem_per_cpu_gb: float = 2.0  # slurm, ray
    venv: str | None = None  # slurm: the activate script of the environment on the nodes (default: this one's)
    sbatch_args: dict[str, str] = field(default_factory=dict)  # slurm: more #SBATCH options
    ray_address: str | None = None  # ray: a running cluster (default: start a local one)


def make_executor(
    settings: EngineSettings,
    name: str,
    pipeline: list[PipelineStep],
    tasks: int,
    logging_dir: Path,
    depends: PipelineExecutor | None,
) -> PipelineExecutor:
    """The executor of one stage; `depends` is the previous stage's executor (the order on a cluster)."""
    return _FACTORIES[settings.executor](settings, name, pipeline, tasks, logging_dir, depends)


def run_stages(
    settings: EngineSettings,
    executors: list[PipelineExecutor],
    names: list[str],
    observe: Callable[[str], contextlib.AbstractContextManager] | None = None,
) -> None:
    """Run the stages in order (local, ray), or submit them as dependent jobs (slurm). `observe(name)` is entered
    around each stage that runs here (the benchmark measures time and memory with it)."""
    observe = observe or (lambda name: contextlib.nullcontext())
    if settings.executor == "slurm":
        executors[-1].run()  # submits the dependencies first
        return
    if settings.executor == "ray":
        import ray

        if not ray.is_initialized():
            ray.init(address=settings.ray_address, log_to_driver=settings.verbose)
    if settings.executor == "ray":
        for name, executor in zip(names, executors):
            with observe(name):
                executor.run()
            quiet_logs(settings.verbose)
        return
    # One process pool for all local stages: workers start (and import, and load the model) once.
    workers = settings.workers or os.cpu_count() or 1
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("forkserver"))
    try:
        for name, executor in zip(names, executors):
            with observe(name):
                executor.run(pool)
            quiet_logs(settings.verbose)
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown()


def quiet_logs(verbose: bool) -> None:
    """datatrove logs through loguru at DEBUG on stderr by default: keep warnings and errors unless verbose."""
    from loguru import logger

    logger.remove()
    logger.add(sys.stderr, level="DEBUG" if verbose else "WARNING")


class LocalExecutor(LocalPipelineExecutor):
    """datatrove's LocalPipelineExecutor, but tasks run in a process pool that reports a dead worker (see the module
    docstring), with datatrove's log lines kept out of the terminal unless `verbose`."""

    def __init__(self, *args, stage: str, verbose: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stage = stage
        self.verbose = verbose

    def run(self, pool: ProcessPoolExecutor | None = None) -> PipelineStats:
        """Run the unfinished tasks: one at a time in this process with one worker (or one task), else in `pool`
        (default: a pool of its own)."""
        ranks = self.get_incomplete_ranks(range(self.tasks))
        if not ranks:
            return PipelineStats()
        self.save_executor_as_json()
        workers = min(self.workers, len(ranks))
        if workers == 1:
            pipeline: list = self.pipeline  # type: ignore[has-type]
            stats = []
            for rank in ranks:
                self.pipeline = deepcopy(pipeline)  # as datatrove does: each task starts from fresh blocks
                stats.append(run_rank(self, rank))
            self.pipeline = pipeline
        elif pool is not None:
            stats = self._run_in_pool(pool, ranks)
        else:
            own = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(self.start_method))
            try:
                stats = self._run_in_pool(own, ranks)
            except BaseException:
                _stop(own)
                raise
            own.shutdown()
        merged = sum(stats, start=PipelineStats())
        with self.logging_dir.open("stats.json", "wt") as handle:
            merged.save_to_disk(handle)
        return merged

    def _run_in_pool(self, pool: ProcessPoolExecutor, ranks: list[int]) -> list[PipelineStats]:
        futures = [pool.submit(run_rank, self, rank) for rank in ranks]
        wait(futures, return_when=FIRST_EXCEPTION)
        try:
            error = next((f.exception() for f in futures if f.done() and f.exception() is not None), None)
            if error is not None:
                raise error
            return [future.result() for future in futures]
        except BrokenProcessPool:
            finished = sum(future.done() and future.exception() is None for future in futures)
            raise PoolError(
                f"a worker process of the {self.stage} stage died (killed, or out of memory); {finished} of the "
                f"{len(ranks)} tasks left finished and are kept: run the same command again to resume"
            ) from None


def run_rank(executor: PipelineExecutor, rank: int) -> PipelineStats:
    """One task through datatrove's `_run_for_rank` (logs, stats, completion marker); its log lines go to the task's
    log file only, unless the executor is verbose."""
    verbose = getattr(executor, "verbose", False)
    with contextlib.nullcontext() if verbose else contextlib.redirect_stderr(io.StringIO()):
        # datatrove's task logger writes to the sys.stderr of the moment it is set up: the redirection above.
        return executor._run_for_rank(rank, local_rank=0 if verbose else 1)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop the pool now, running tasks included (an error or Ctrl-C must not wait for tasks nobody will use);
    ProcessPoolExecutor has no public way to end tasks that have started, hence its process table."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=10)


def _local(settings, name, pipeline, tasks, logging_dir, depends) -> PipelineExecutor:
    return LocalExecutor(
        pipeline,
        tasks=tasks,
        workers=settings.workers or os.cpu_count() or 1,
        logging_dir=str(logging_dir),
        stage=name,
        verbose=settings.verbose,
    )


def _slurm(settings, name, pipeline, tasks, logging_dir, depends) -> PipelineExecutor:
    from datatrove.executor import SlurmPipelineExecutor

    if not settings.partition:
        raise PoolError("--executor slurm needs --partition (the Slurm partition the jobs run in)")
    venv = settings.venv or str(Path(sys.prefix) / "bin" / "activate")
    return SlurmPipelineExecutor(
        pipeline,
        tasks=tasks,
        time=settings.time,
        partition=settings.partition,
        cpus_per_task=settings.cpus_per_task,
        mem_per_cpu_gb=int(settings.mem_per_cpu_gb),
        workers=settings.workers or -1,
        job_name=f"stance-pool-{name}",
        venv_path=venv,
        sbatch_args=dict(settings.sbatch_args) or None,
        logging_dir=str(logging_dir),
        slurm_logs_folder=str(logging_dir / "slurm"),
        depends=depends,
    )


def _ray(settings, name, pipeline, tasks, logging_dir, depends) -> PipelineExecutor:
    from datatrove.executor import RayPipelineExecutor

    return RayPipelineExecutor(
        pipeline,
        tasks=tasks,
        workers=settings.workers or -1,
        logging_dir=str(logging_dir),
        cpus_per_task=settings.cpus_per_task,
        mem_per_cpu_gb=settings.mem_per_cpu_gb,
    )


_FACTORIES: dict[str, Callable[..., PipelineExecutor]] = {"local": _local, "slurm": _slurm, "ray": _ray}

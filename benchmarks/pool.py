"""Benchmark of the pool pipeline (`stance-corpus pool`, docs/pool.md): time and memory per stage, cost per article as
the pool grows, parallel efficiency, the engine's overhead against the bare steps in one process, and datatrove
against Ray Data on the same steps.

    .venv/bin/pip install -e '.[bench]'     # datatrove, ray[data], psutil
    make dataset                             # the stance model: reports/1.0.0/models/tfidf-logreg-1.0.0.skops
    .venv/bin/python benchmarks/pool.py --sizes 10000 100000 --engines --json pool-benchmark.json
    .venv/bin/python benchmarks/pool.py --sizes 100 --model FILE   # a quick check, with another stance model

The pool's project is this repository's (stance-corpus.toml: registry, page furniture, its default target).

Articles are synthetic (stance_corpus.pool.synthetic: sentences of the shared texts recombined, names swapped, fresh
ids; 1% planted near duplicates), read from one JSONL file. Memory is the peak of the summed proportional set size
(PSS) of this process and all its descendants (workers, Ray's daemons), sampled every 0.5 s. Every figure printed
is measured in this run; the machine's load average is printed with them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Self

import psutil

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO / ".." / "shared"
MODEL = REPO / "reports" / "1.0.0" / "models" / "tfidf-logreg-1.0.0.skops"
PROJECT = REPO  # this repository's corpus project: its actor registry, page furniture and default target


class MemorySampler:
    """Peak summed PSS (bytes) of this process and its descendants while the block runs, and the CPU seconds (user +
    system) they used meanwhile (each process's last sample: a process that ends between two samples loses at most
    one interval). CPU seconds hardly change with the machine's load; wall time does."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.peak = 0
        self._cpu: dict[int, float] = {}
        self._start_cpu = 0.0
        self._stop = threading.Event()

    @property
    def cpu_s(self) -> float:
        return sum(self._cpu.values()) - self._start_cpu

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for process in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += process.memory_full_info().pss
                    times = process.cpu_times()
                    self._cpu[process.pid] = times.user + times.system
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def __enter__(self) -> Self:
        times = psutil.Process().cpu_times()
        self._start_cpu = times.user + times.system
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


class StageClock:
    """`observe` for build_pool: wall time and peak memory of every stage."""

    def __init__(self) -> None:
        self.stages: dict[str, dict] = {}

    @contextlib.contextmanager
    def __call__(self, name: str):
        start = time.perf_counter()
        with MemorySampler() as memory:
            yield
        self.stages[name] = {"wall_s": round(time.perf_counter() - start, 2), "peak_pss_mb": round(memory.peak / 2**20)}


def make_input(folder: Path, count: int) -> Path:
    from stance_corpus.pool.synthetic import synthetic_articles, write_article_jsonl

    start = time.perf_counter()
    articles, planted = synthetic_articles(SHARED, count, seed=0, duplicate_rate=0.01)
    path = write_article_jsonl(articles, folder / f"articles-{count}.jsonl")
    megabytes = path.stat().st_size / 2**20
    print(f"  input: {count} articles ({len(planted)} planted near duplicates), {megabytes:.0f} MB JSONL, "
          f"made in {time.perf_counter() - start:.0f} s (not timed below)", flush=True)
    return path


def engine_run(
    jsonl: Path, out: Path, workers: int, model: Path, dedup: bool = True, tasks: int | None = None
) -> dict:
    """stance-corpus pool through its Python API on the local executor: per-stage wall and memory, block times."""
    from stance_corpus.pool.engine import EngineSettings, quiet_logs
    from stance_corpus.pool.pipeline import PoolOptions, build_pool

    quiet_logs(False)
    clock = StageClock()
    start = time.perf_counter()
    with MemorySampler() as memory:
        manifest = build_pool(
            out,
            PoolOptions(inputs=(str(jsonl),), model=str(model), project=str(PROJECT), tasks=tasks, dedup=dedup),
            EngineSettings(workers=workers),
            observe=clock,
        )
    wall = time.perf_counter() - start
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(memory.cpu_s, 1),
        "peak_pss_mb": round(memory.peak / 2**20),
        "stages": clock.stages,
        "blocks_cpu_s": block_times(out),
        "counts": manifest["counts"],
        "output_mb": round(sum(shard["bytes"] for shard in manifest["shards"]) / 2**20, 1),
    }


def block_times(out: Path) -> dict[str, float]:
    """Seconds spent in each block, summed over the tasks of its stage (datatrove's per-task stats files)."""
    totals: dict[str, float] = {}
    for stats_file in sorted((out / "work" / "logs").glob("*/stats/*.json")):
        for block in json.loads(stats_file.read_text(encoding="utf-8")):
            time_stats = block.get("time_stats")
            if isinstance(time_stats, dict):
                name = f"{stats_file.parent.parent.name}: {block['name'].split(': ', 1)[-1]}"
                totals[name] = round(totals.get(name, 0.0) + time_stats["total"], 2)
    return totals


def bare_run(jsonl: Path, out: Path, model: Path) -> dict:
    """The same steps as plain function calls in this one process: read, MinHash (datatrove's signature code, the
    same configuration) with an in-memory LSH index, segment, gazetteer, stance scores, one parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupSignature
    from datatrove.utils.hashing import HashConfig
    from stance_corpus.baselines.predict import load_model
    from stance_corpus.corpus.actors import MentionContext, load_actor_registry
    from stance_corpus.corpus.project import load_project
    from stance_corpus.pool.blocks import PlainWords
    from stance_corpus.pool.inputs import ImportSettings, iter_shard
    from stance_corpus.pool.pipeline import pool_target
    from stance_corpus.pool.rows import actor_mentions, check_model, score_rows, segment_rows, shard_schema

    start = time.perf_counter()
    with MemorySampler() as memory:
        project = load_project(PROJECT)
        registry = load_actor_registry(project.actors, project.scheme)
        bundle = load_model(model)
        target = pool_target(project, None)
        check_model(bundle, target, project.scheme.stance_names, str(model))
        schema = shard_schema(bundle.labels)
        config = MinhashConfig(num_buckets=14, hash_config=HashConfig(precision=64, hash_fc="sha1"))
        hasher = MinhashDedupSignature(str(out / "unused"), config=config, language=PlainWords())
        articles = list(iter_shard([jsonl], 0, 1, ImportSettings()))  # ingest's reader and checks, as the pool
        parent = list(range(len(articles)))

        def root(item: int) -> int:
            while parent[item] != item:
                parent[item] = parent[parent[item]]
                item = parent[item]
            return item

        bands: dict[tuple, int] = {}
        for number, article in enumerate(articles):
            shingles = hasher.get_shingles(article.text)
            if shingles.size == 0:
                continue
            for band, values in enumerate(hasher.get_signature(shingles)):
                first = bands.setdefault((band, *values), number)
                if first != number:
                    a, b = root(first), root(number)
                    parent[max(a, b)] = min(a, b)
        kept = [article for number, article in enumerate(articles) if root(number) == number]
        out.mkdir(parents=True, exist_ok=True)
        writer = pq.ParquetWriter(out / "segments.parquet", schema, compression="zstd")
        batch: list[dict] = []
        for article in kept:
            context = MentionContext(target=target.id, article_text=article.text)
            for row in segment_rows(article, target, project.segmentation):
                row["actors"] = actor_mentions(row["text"], registry, context)
                batch.append(row)
            if len(batch) >= 4096:
                score_rows(bundle, batch)
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch = []
        if batch:
            score_rows(bundle, batch)
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
        writer.close()
    return {"wall_s": round(time.perf_counter() - start, 2), "cpu_s": round(memory.cpu_s, 1),
            "peak_pss_mb": round(memory.peak / 2**20), "articles_kept": len(kept)}


def ray_annotate(batch, model: str):
    """Ray Data UDF: a batch of article rows -> their segment rows with mentions and scores (a task, so that reading
    and annotating share the CPUs; the model is loaded once per Ray worker process)."""
    import pyarrow as pa
    from stance_corpus.corpus.actors import MentionContext, load_actor_registry
    from stance_corpus.corpus.ingest.importer import process_record
    from stance_corpus.corpus.ingest.readers import map_record
    from stance_corpus.corpus.project import load_project
    from stance_corpus.pool.inputs import ImportSettings
    from stance_corpus.pool.pipeline import pool_target
    from stance_corpus.pool.rows import actor_mentions, cached_model, score_rows, segment_rows, shard_schema

    project = load_project(PROJECT)
    registry = load_actor_registry(project.actors, project.scheme)
    bundle = cached_model(model)
    target = pool_target(project, None)
    defaults = ImportSettings().defaults()
    rows = []
    for number, values in enumerate(batch.to_pylist()):
        article = process_record(map_record(values, f"batch:{number}"), defaults).article  # as the pool reads files
        context = MentionContext(target=target.id, article_text=article.text)
        for row in segment_rows(article, target, project.segmentation):
            row["actors"] = actor_mentions(row["text"], registry, context)
            rows.append(row)
    score_rows(bundle, rows)
    return pa.Table.from_pylist(rows, schema=shard_schema(bundle.labels))


def ray_data_run(jsonl: Path, out: Path, workers: int, model: Path) -> dict:
    """The per-article steps (no deduplication: Ray Data has no MinHash) as a Ray Data pipeline on a local cluster."""
    import pyarrow
    import pyarrow.json
    import ray

    start = time.perf_counter()
    with MemorySampler() as memory:
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, configure_logging=False)
        started = time.perf_counter()
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        # Every field a string, as the pool reads them (pyarrow would make `published` a timestamp).
        fields = ("id", "text", "title", "source", "published", "url", "language", "license")
        schema = pyarrow.schema([(name, pyarrow.string()) for name in fields])
        dataset = ray.data.read_json(
            str(jsonl), override_num_blocks=4 * workers, parse_options=pyarrow.json.ParseOptions(explicit_schema=schema)
        )
        dataset = dataset.map_batches(
            ray_annotate, batch_size=50, batch_format="pyarrow", fn_kwargs={"model": str(model)}
        )
        dataset.write_parquet(str(out))
        pipeline = time.perf_counter() - started
        ray.shutdown()
    return {"wall_s": round(time.perf_counter() - start, 2), "cpu_s": round(memory.cpu_s, 1),
            "startup_s": round(started - start, 2), "pipeline_s": round(pipeline, 2),
            "peak_pss_mb": round(memory.peak / 2**20)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--engines", action="store_true", help="also datatrove against Ray Data on the first size")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument(
        "--engines-only", type=int, metavar="REPEAT",
        help="only datatrove against Ray Data on the first size, taking turns REPEAT times (for a loaded machine)",
    )
    parser.add_argument(
        "--model", type=Path, default=MODEL, help="the stance model (default: tfidf-logreg of `make dataset`)"
    )
    args = parser.parse_args()
    if not args.model.is_file():
        sys.exit(f"{args.model} is missing: run `make dataset` (release + baseline) first")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start", flush=True)
    figures: dict = {"cpus": os.cpu_count(), "load_at_start": round(os.getloadavg()[0], 1), "sizes": {}}
    scratch = Path(tempfile.mkdtemp(prefix="pool-benchmark-"))  # emptied after every size
    if args.engines_only:
        try:
            figures["engines"] = compare_engines(scratch, args.sizes[0], args.workers, args.engines_only, args.model)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        return
    try:
        for position, size in enumerate(args.sizes):
            print(f"\n{size} articles", flush=True)
            jsonl = make_input(scratch, size)
            entry: dict = {}
            entry["engine"] = engine_run(jsonl, scratch / f"pool-{size}", args.workers, args.model)
            report_engine(size, args.workers, entry["engine"])
            if position == 0:
                entry["engine_1_worker"] = engine_run(jsonl, scratch / f"pool-{size}-1", 1, args.model)
                entry["bare"] = bare_run(jsonl, scratch / f"bare-{size}", args.model)
                one, two, bare = entry["engine_1_worker"], entry["engine"], entry["bare"]
                entry["parallel_efficiency"] = round(one["wall_s"] / (args.workers * two["wall_s"]), 3)
                entry["overhead_vs_bare"] = round(one["wall_s"] / bare["wall_s"], 3)
                print(f"  1 worker: {one['wall_s']:.1f} s, peak {one['peak_pss_mb']} MB; parallel efficiency "
                      f"{args.workers} vs 1 worker: {entry['parallel_efficiency']:.2f}")
                print(f"  bare steps in one process: {bare['wall_s']:.1f} s, peak {bare['peak_pss_mb']} MB; engine "
                      f"(1 worker) / bare = {entry['overhead_vs_bare']:.2f}x", flush=True)
                if args.engines:
                    entry["datatrove_no_dedup"] = engine_run(jsonl, scratch / f"nodedup-{size}", args.workers,
                                                             args.model, dedup=False)
                    entry["ray_data"] = ray_data_run(jsonl, scratch / f"ray-{size}", args.workers, args.model)
                    datatrove, ray_data = entry["datatrove_no_dedup"], entry["ray_data"]
                    print(f"  engines, same steps without dedup, {args.workers} workers: datatrove "
                          f"{datatrove['wall_s']:.1f} s, peak {datatrove['peak_pss_mb']} MB; Ray Data "
                          f"{ray_data['wall_s']:.1f} s (start-up {ray_data['startup_s']:.1f} s), peak "
                          f"{ray_data['peak_pss_mb']} MB", flush=True)
            figures["sizes"][size] = entry
            if args.json:  # after every size: a long run that is stopped keeps what it measured
                args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
            shutil.rmtree(scratch, ignore_errors=True)
            scratch.mkdir()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    figures["load_at_end"] = round(os.getloadavg()[0], 1)
    print(f"\nload average at the end: {figures['load_at_end']:.1f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"figures written to {args.json}")


def compare_engines(scratch: Path, size: int, workers: int, repeat: int, model: Path) -> list[dict]:
    """datatrove (--no-dedup) and Ray Data on the same articles, taking turns, `repeat` times each."""
    print(f"\n{size} articles, datatrove against Ray Data, {workers} workers, taking turns {repeat} times", flush=True)
    jsonl = make_input(scratch, size)
    runs = []
    for turn in range(repeat):
        for engine in ("datatrove", "ray data"):
            out = scratch / f"{engine.replace(' ', '-')}-{turn}"
            if engine == "datatrove":
                run = engine_run(jsonl, out, workers, model, dedup=False)
            else:
                run = ray_data_run(jsonl, out, workers, model)
            shutil.rmtree(out, ignore_errors=True)
            entry = {"engine": engine, "turn": turn, "load": round(os.getloadavg()[0], 1),
                     **{key: run[key] for key in ("wall_s", "cpu_s", "peak_pss_mb")}}
            if engine == "ray data":
                entry["startup_s"] = run["startup_s"]
            runs.append(entry)
            print(f"  {engine:<9} turn {turn}: {entry['wall_s']:>7.1f} s wall, {entry['cpu_s']:>7.1f} CPU s, peak "
                  f"{entry['peak_pss_mb']} MB (load {entry['load']})", flush=True)
    return runs


def report_engine(size: int, workers: int, run: dict) -> None:
    print(f"  engine, {workers} workers: {run['wall_s']:.1f} s wall, {1000 * run['wall_s'] / size:.2f} ms/article, "
          f"{1000 * workers * run['wall_s'] / size:.2f} core-ms/article, peak {run['peak_pss_mb']} MB, "
          f"output {run['output_mb']} MB ({run['counts']['segments']} segments, "
          f"{run['counts']['duplicates_dropped']} duplicates dropped)")
    for name, stage in run["stages"].items():
        print(f"    stage {name:<9} {stage['wall_s']:>8.1f} s wall  peak {stage['peak_pss_mb']:>6} MB")
    for name, seconds in run["blocks_cpu_s"].items():
        print(f"    block {name:<45} {seconds:>8.1f} s (summed over tasks)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

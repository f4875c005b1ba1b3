"""`stance-corpus pool` and `stance-corpus select`: argument parsing and reporting; the work is in plain functions
(pool/pipeline.py, pool/select.py). datatrove, pyarrow and scikit-learn are imported only when a command runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from stance_corpus.corpus.errors import InputError

EXECUTORS = ("local", "slurm", "ray")
STRATEGIES = ("uncertainty", "diverse", "random", "stratified")


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Mount `pool` and `select` on the `stance-corpus` parser."""
    pool = subparsers.add_parser(
        "pool",
        help="import, deduplicate, segment, pre-annotate and score a large article collection (datatrove)",
        description="Build a pool in OUT from INPUT seed folders and files of articles in any format `stance-corpus "
        "ingest` reads (read, extracted and checked as ingest does, with the same ids): MinHash deduplication, "
        "`stance-corpus segment`'s segments and ids (the project's page furniture), the gazetteer's actor mentions "
        "(the project's registry) and the stance model's scores for one target of the project, as parquet shards "
        "OUT/segments/*.parquet with OUT/manifest.json. Runs on datatrove's local, Slurm or Ray executor. "
        "Running the same command again resumes an interrupted pool: "
        "finished tasks are skipped. Needs `pip install 'stance-corpus[scale]'` (docs/pool.md).",
    )
    pool.add_argument("inputs", nargs="+", metavar="INPUT")
    pool.add_argument("--out", type=Path, required=True, metavar="DIR", help="the pool folder (new, or to resume)")
    pool.add_argument(
        "--model", type=Path, required=True, metavar="FILE",
        help="a stance model file of `stance-corpus baseline` (reports/<version>/models/*.skops)",
    )
    pool.add_argument(
        "--target", metavar="ID",
        help="the project's target of every segment (default: the project's one default target, or its only one)",
    )
    pool.add_argument("--tasks", type=int, metavar="N", help="shards of the pool (default: 4 per local worker)")
    pool.add_argument("--license", metavar="TEXT", help="licence of import records without one (as for ingest)")
    pool.add_argument("--language", metavar="TAG", help="BCP 47 language of import records without one (e.g. en)")
    pool.add_argument("--id-field", metavar="NAME", help="the field of the source's ids (default: content ids)")
    pool.add_argument("--no-dedup", action="store_true", help="keep near-duplicate articles (skips the MinHash stages)")
    pool.add_argument("--executor", choices=EXECUTORS, default="local", help="datatrove executor (default: local)")
    pool.add_argument(
        "--workers", type=int, metavar="N",
        help="local: worker processes (default: all cores); slurm, ray: tasks running at once (default: all)",
    )
    pool.add_argument("--verbose", action="store_true", help="show datatrove's log lines (always in OUT/work/logs)")
    slurm = pool.add_argument_group("slurm")
    slurm.add_argument("--partition", help="the Slurm partition")
    slurm.add_argument("--time", default="24:00:00", help="time limit of one task (default: %(default)s)")
    slurm.add_argument("--cpus-per-task", type=int, default=1, metavar="N", help="(also ray; default: 1)")
    slurm.add_argument("--mem-per-cpu-gb", type=float, default=2.0, metavar="GB", help="(also ray; default: 2)")
    slurm.add_argument("--venv", help="activate script of the Python environment on the nodes (default: this one)")
    slurm.add_argument(
        "--sbatch", action="append", default=[], metavar="KEY=VALUE", help="an extra #SBATCH option (repeatable)"
    )
    ray = pool.add_argument_group("ray")
    ray.add_argument("--ray-address", metavar="ADDR", help="a running Ray cluster (default: start a local one)")
    pool.set_defaults(run=run_pool)

    select = subparsers.add_parser(
        "select",
        help="choose the pool's segments to annotate next (uncertainty, diverse, random, stratified)",
        description="Choose BUDGET heading and body segments of the finished pool POOL and write OUT/tasks.jsonl "
        "(push with `stance-corpus annotate --selection OUT/tasks.jsonl`), OUT/predictions.jsonl (the model's "
        "scores, for `annotate --predictions`) and OUT/report.json: how the chosen set differs from a random one "
        "of the same size. The same seed gives the same selection.",
    )
    select.add_argument("pool", type=Path, metavar="POOL")
    select.add_argument("--budget", type=int, required=True, metavar="N", help="how many segments to choose")
    select.add_argument("--strategy", choices=STRATEGIES, required=True)
    select.add_argument("--seed", type=int, default=0)
    select.add_argument(
        "--by", choices=("source", "published", "target"), default="source",
        help="the strata of --strategy stratified (published: by month; default: %(default)s)",
    )
    select.add_argument(
        "--exclude", type=Path, action="append", default=[], metavar="FILE",
        help="JSON lines with segment_id never to choose again: an earlier tasks.jsonl, the annotation store "
        "(repeatable)",
    )
    select.add_argument("--out", type=Path, metavar="DIR", help="default: POOL/selections/STRATEGY-N-seedS")
    select.set_defaults(run=run_select, takes_project=False)  # the pool holds all it needs


def run_pool(args: argparse.Namespace) -> None:
    """`stance-corpus pool`: build or resume the pool, then print its counts (or, on Slurm, what was queued)."""
    try:
        from stance_corpus.pool.engine import EngineSettings, quiet_logs
        from stance_corpus.pool.inputs import ImportSettings
        from stance_corpus.pool.pipeline import PoolOptions, build_pool
    except ModuleNotFoundError as error:
        raise InputError(
            "stance-corpus pool", f"needs {error.name}: pip install 'stance-corpus[scale]' (docs/pool.md)"
        ) from None
    settings = EngineSettings(
        executor=args.executor,
        workers=args.workers,
        verbose=args.verbose,
        partition=args.partition,
        time=args.time,
        cpus_per_task=args.cpus_per_task,
        mem_per_cpu_gb=args.mem_per_cpu_gb,
        venv=args.venv,
        sbatch_args=dict(_key_value(option) for option in args.sbatch),
        ray_address=args.ray_address,
    )
    if args.workers is not None and args.workers < 1:
        raise InputError("--workers", "must be 1 or more")
    options = PoolOptions(
        inputs=tuple(args.inputs),
        model=str(args.model),
        project=str(args.project),
        target=args.target,
        tasks=args.tasks,
        dedup=not args.no_dedup,
        imports=ImportSettings(license=args.license, language=args.language, id_field=args.id_field),
    )
    quiet_logs(args.verbose)
    result = build_pool(args.out, options, settings)
    if "queued" in result:
        print(f"{args.out}: stages {', '.join(result['queued'])} queued on Slurm; run the same command again to see")
        print(f"their progress, or read {args.out}/manifest.json once the last job has run")
        return
    counts = result["counts"]
    kinds = ", ".join(f"{count} {kind}" for kind, count in counts["segments_per_kind"].items())
    print(
        f"{args.out}: {counts['articles_read']} article(s) read, {counts['duplicates_dropped']} near-duplicate(s) "
        f"dropped ({counts['duplicate_groups']} group(s), {args.out}/duplicates.jsonl), {counts['articles']} kept"
    )
    print(f"{counts['segments']} segments ({kinds}); {counts['scored_segments']} scored, {counts['actor_mentions']} "
          f"actor mention(s); {len(result['shards'])} shard(s) in {args.out}/segments, manifest "
          f"{args.out}/manifest.json")


def _key_value(option: str) -> tuple[str, str]:
    key, separator, value = option.partition("=")
    if not separator or not key:
        raise InputError("--sbatch", f"{option!r} is not KEY=VALUE")
    return key, value


def run_select(args: argparse.Namespace) -> None:
    """`stance-corpus select`: choose, write the selection and print how it differs from a random one."""
    from stance_corpus.pool.select import select

    out = args.out or args.pool / "selections" / f"{args.strategy}-{args.budget}-seed{args.seed}"
    report = select(args.pool, out, args.budget, args.strategy, args.seed, args.by, tuple(args.exclude))
    chosen, random, differences = report["chosen"], report["random"], report["differences"]
    print(f"{out}: {chosen['segments']} of {report['candidates']} candidate segments ({args.strategy}, "
          f"seed {args.seed})")
    print(f"  push them: stance-corpus annotate --selection {out}/tasks.jsonl --predictions {out}/predictions.jsonl")
    print(f"  {'':<24} {'chosen':>10} {'random':>10}")
    print(f"  {'mean uncertainty':<24} {chosen['uncertainty']['mean']:>10.3f} {random['uncertainty']['mean']:>10.3f}")
    print(f"  {'articles':<24} {chosen['articles']:>10} {random['articles']:>10}")
    for label in chosen["predicted"]:
        print(f"  {'predicted ' + label:<24} {chosen['predicted'][label]:>10.1%} {random['predicted'][label]:>10.1%}")
    for source in sorted(chosen["sources"].keys() | random["sources"].keys()):
        shares = chosen["sources"].get(source, 0), random["sources"].get(source, 0)
        print(f"  {source[:24]:<24} {shares[0]:>10.1%} {shares[1]:>10.1%}")
    print(f"  total variation from random: sources {differences['sources_tv']:.3f}, predicted labels "
          f"{differences['predicted_labels_tv']:.3f} (report: {out}/report.json)")

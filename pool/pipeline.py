"""The pool pipeline: its folder, its stages as datatrove pipelines, and the manifest.

Stages (each a datatrove pipeline run by the chosen executor, pool/engine.py):

1. import (T tasks): read the inputs (pool/inputs.py), compute MinHash signatures (datatrove's MinhashDedupSignature)
2. buckets (14 tasks, one per MinHash band): find duplicate pairs (MinhashDedupBuckets), spilling to files
3. cluster (1 task): join pairs into duplicate clusters (MinhashDedupCluster)
4. segment (T tasks): read the same articles again, report and drop duplicates (MinhashDedupFilter), segment,
   gazetteer pre-annotation, stance scores, one parquet shard per task
5. manifest (1 task): counts, checksums, library versions, duplicate groups

With `dedup=False` stages 1-3 are skipped. POOL/ holds `segments/<task>.parquet`, `duplicates.jsonl`,
`manifest.json`, `pool.json` (what the pool was started with: a re-run must match it) and `work/` (the model copy,
MinHash files, datatrove's per-stage logs, stats and completion markers). On a cluster POOL must be on a filesystem
every node sees.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stance_corpus.corpus.actors import load_actor_registry
from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.files import write_text_atomic
from stance_corpus.corpus.project import Project, load_project
from stance_corpus.corpus.schema import Actor, Target
from stance_corpus.corpus.segment import SegmentationConfig
from stance_corpus.pool.engine import EngineSettings, make_executor, run_stages
from stance_corpus.pool.errors import PoolError
from stance_corpus.pool.inputs import ImportSettings, resolve_inputs

if TYPE_CHECKING:
    from datatrove.executor.base import PipelineExecutor
    from datatrove.pipeline.base import PipelineStep

POOL_FILE = "pool.json"
MANIFEST_FILE = "manifest.json"
DUPLICATES_FILE = "duplicates.jsonl"
SEGMENTS_DIR = "segments"
WORK_DIR = "work"
FORMAT = "stance-corpus pool 1"
BUCKET_TASKS = 14  # datatrove's MinhashConfig default: 14 bands of 8 hashes, similarity threshold about 0.72
LIBRARIES = ("stance-corpus", "datatrove", "pyarrow", "syntok", "scikit-learn", "numpy", "skops", "ray")


@dataclass(frozen=True)
class PoolOptions:
    """What a pool is built from and how it is sharded: a re-run of an unfinished pool must give the same."""

    inputs: tuple[str, ...]
    model: str
    project: str = "."  # the corpus project: its scheme, target, actor registry and page furniture
    target: str | None = None  # a target id of the project (default: its one default target)
    tasks: int | None = None  # default: 4 per local worker, so that a crash loses little and workers stay busy
    dedup: bool = True
    # The licence, language and id field of import files (as for ingest).
    imports: ImportSettings = field(default_factory=ImportSettings)


def build_pool(
    out: Path,
    options: PoolOptions,
    settings: EngineSettings,
    observe: Callable[[str], AbstractContextManager[Any]] | None = None,
) -> dict[str, Any]:
    """Build (or resume) the pool in `out`; returns the manifest (for slurm: the settings the jobs were queued with,
    the manifest comes when they have run). `observe(stage name)` is entered around each stage run here."""
    from stance_corpus.baselines.predict import load_model
    from stance_corpus.pool.rows import check_model

    project = load_project(options.project)
    target = pool_target(project, options.target)
    inputs = resolve_inputs(list(options.inputs), project.scheme)
    registry = load_actor_registry(project.actors, project.scheme)
    bundle = load_model(Path(options.model))
    check_model(bundle, target, project.scheme.stance_names, options.model)
    tasks = options.tasks or 4 * (settings.workers or _cores())
    if tasks < 1:
        raise PoolError("--tasks must be 1 or more")
    started = {
        "format": FORMAT,
        "inputs": [_fingerprint(path) for path in inputs],
        "model": {"file": str(Path(options.model).resolve()), "sha256": _sha256(Path(options.model)),
                  "model_version": bundle.model_version},
        "labels": list(bundle.labels),
        "project": {"config": str(project.config_path.resolve()), "sha256": _sha256(project.config_path)},
        "actors": {"file": str(project.actors.resolve()), "sha256": _sha256(project.actors)},
        "target": {"id": target.id, "name": target.name},
        "tasks": tasks,
        "dedup": options.dedup,
        "imports": asdict(options.imports),
    }
    _claim(out, started)
    work = out / WORK_DIR
    model_copy = work / "model.skops"
    if not model_copy.is_file():
        work.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(options.model, model_copy)
    stages = _stages(
        out, [str(path) for path in inputs], options.imports, str(model_copy), registry, target,
        project.segmentation, bundle.labels, tasks, options.dedup,
    )
    executors: list[PipelineExecutor] = []
    for name, pipeline, stage_tasks in stages:
        depends = executors[-1] if executors else None
        executors.append(make_executor(settings, name, pipeline, stage_tasks, work / "logs" / name, depends))
    run_stages(settings, executors, [name for name, _, _ in stages], observe)
    if settings.executor == "slurm":
        return {"queued": [name for name, _, _ in stages], "settings": asdict(settings)}
    return json.loads((out / MANIFEST_FILE).read_text(encoding="utf-8"))


def pool_target(project: Project, target_id: str | None) -> Target:
    """The pool's target: `--target ID` of the project, else the project's one default target (that of articles
    whose catalogue lists none, as imported ones), else its only target."""
    scheme = project.scheme
    if target_id is not None:
        (target,) = project.select_targets([target_id])
        return target
    if len(project.default_targets) == 1:
        return scheme.target(project.default_targets[0])
    if len(scheme.targets) == 1:
        return scheme.targets[0]
    raise InputError(
        "--target", f"{project.config_path} has several targets ({', '.join(scheme.target_ids)}): name the pool's"
    )


def _cores() -> int:
    import os

    return os.cpu_count() or 1


def _claim(out: Path, started: dict[str, Any]) -> None:
    """Start a new pool in `out`, or resume the one started there with the same inputs and options; anything else
    in `out` is refused (a pool never writes into a folder that is not its own)."""
    record = out / POOL_FILE
    if record.is_file():
        before = json.loads(record.read_text(encoding="utf-8"))
        if before != started:
            changed = sorted(key for key in started.keys() | before.keys() if before.get(key) != started.get(key))
            raise PoolError(
                f"{out} holds a pool started with other {', '.join(changed)}: resume it with the same inputs and "
                "options, or build the new pool in a new folder"
            )
        return
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise PoolError(f"{out} exists and is not a pool folder: give a new or empty folder for the pool")
    write_text_atomic(record, json.dumps(started, indent=2, ensure_ascii=False) + "\n")


def _fingerprint(path: Path) -> dict[str, Any]:
    """An input as the pool records it: its path and, to notice edits before a resume, its size and change time
    (a seed folder: those of its catalogue)."""
    stat = (path / "articles.jsonl" if path.is_dir() else path).stat()
    return {"path": str(path), "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _stages(
    out: Path,
    inputs: list[str],
    imports: ImportSettings,
    model_file: str,
    registry: dict[str, Actor],
    target: Target,
    segmentation: SegmentationConfig,
    labels: tuple[str, ...],
    tasks: int,
    dedup: bool,
) -> list[tuple[str, list[PipelineStep], int]]:
    """(name, datatrove pipeline, tasks) of each stage, in order."""
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.utils.hashing import HashConfig
    from stance_corpus.pool.blocks import (
        FindActors,
        PlainWords,
        ReadArticles,
        RecordDuplicates,
        ScoreStance,
        SegmentArticles,
        WriteManifest,
        WriteSegments,
    )

    work = out / WORK_DIR
    counts, minhash = str(work / "articles"), work / "minhash"
    # sha1 shingle hashes: datatrove's default, xxhash, needs xxhash<4, and `datasets` installs xxhash 4.
    config = MinhashConfig(num_buckets=BUCKET_TASKS, hash_config=HashConfig(precision=64, hash_fc="sha1"))
    stages: list[tuple[str, list[PipelineStep], int]] = []
    if dedup:
        stages += [
            (
                "import",
                [
                    ReadArticles(inputs, imports, counts, record=True),
                    MinhashDedupSignature(str(minhash / "signatures"), config=config, language=PlainWords()),
                ],
                tasks,
            ),
            ("buckets", [MinhashDedupBuckets(str(minhash / "signatures"), str(minhash / "buckets"), config=config)],
             BUCKET_TASKS),
            ("cluster", [MinhashDedupCluster(str(minhash / "buckets"), str(minhash / "clusters"), config=config,
                                             save_cluster_id=True)], 1),
        ]
        annotate_input: list[PipelineStep] = [
            ReadArticles(inputs, imports, counts, record=False),
            RecordDuplicates(str(minhash / "clusters"), str(work / "duplicates")),
            MinhashDedupFilter(str(minhash / "clusters")),
        ]
    else:
        annotate_input = [ReadArticles(inputs, imports, counts, record=True)]
    stages.append(
        (
            "segment",
            [
                *annotate_input,
                SegmentArticles(target, segmentation),
                FindActors(registry),
                ScoreStance(model_file),
                WriteSegments(str(out / SEGMENTS_DIR), labels),
            ],
            tasks,
        )
    )
    stages.append(("manifest", [WriteManifest(str(out))], 1))
    return stages


def write_manifest(out: Path) -> dict[str, Any]:
    """POOL/manifest.json and POOL/duplicates.jsonl from the finished shards: counts, per-shard rows, bytes and
    sha256, duplicate groups (kept id, dropped ids), the pool's options and the versions of the libraries."""
    import pyarrow.parquet as pq

    started = json.loads((out / POOL_FILE).read_text(encoding="utf-8"))
    shards: list[dict[str, Any]] = []
    kinds: Counter[str] = Counter()
    articles = scored = mentions = 0
    for rank in range(started["tasks"]):
        path = out / SEGMENTS_DIR / f"{rank:05d}.parquet"
        if not path.is_file():
            raise PoolError(f"{path} is missing: the segment stage has not finished; run the same command again")
        table = pq.read_table(path, columns=["article_id", "kind", "uncertainty", "actors"])
        kinds.update(table.column("kind").to_pylist())
        articles += len(set(table.column("article_id").to_pylist()))
        scored += table.num_rows - table.column("uncertainty").null_count
        mentions += sum(len(spans) for spans in table.column("actors").to_pylist())
        shards.append({"file": f"{SEGMENTS_DIR}/{path.name}", "rows": table.num_rows, "bytes": path.stat().st_size,
                       "sha256": _sha256(path)})
    groups = _duplicate_groups(out / WORK_DIR / "duplicates", started["tasks"]) if started["dedup"] else []
    lines = "".join(json.dumps(group, ensure_ascii=False) + "\n" for group in groups)
    write_text_atomic(out / DUPLICATES_FILE, lines)
    dropped = sum(len(group["dropped"]) for group in groups)
    manifest = {
        "format": FORMAT,
        "counts": {
            "articles_read": articles + dropped,
            "duplicates_dropped": dropped,
            "duplicate_groups": len(groups),
            "articles": articles,
            "segments": sum(kinds.values()),
            "segments_per_kind": dict(sorted(kinds.items())),
            "scored_segments": scored,
            "actor_mentions": mentions,
        },
        "shards": shards,
        "duplicates": {"file": DUPLICATES_FILE, "sha256": hashlib.sha256(lines.encode()).hexdigest()},
        "inputs": [{"path": item["path"], "bytes": item["bytes"]} for item in started["inputs"]],
        "model": started["model"],
        "labels": started["labels"],
        "project": started["project"],
        "actors": started["actors"],
        "target": started["target"],
        "tasks": started["tasks"],
        "dedup": started["dedup"],
        "imports": started["imports"],
        "libraries": {**{name: _version(name) for name in LIBRARIES}, "python": platform.python_version()},
    }
    write_text_atomic(out / MANIFEST_FILE, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def _duplicate_groups(folder: Path, tasks: int) -> list[dict[str, Any]]:
    """One {"kept", "dropped"} per MinHash cluster, from the per-task duplicate reports, sorted by kept id."""
    members: dict[int, dict[str, Any]] = {}
    for rank in range(tasks):
        path = folder / f"{rank:05d}.jsonl"
        for line in path.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            group = members.setdefault(entry["cluster"], {"kept": None, "dropped": []})
            if entry["kept"]:
                group["kept"] = entry["id"]
            else:
                group["dropped"].append(entry["id"])
    return sorted(
        ({"kept": group["kept"], "dropped": sorted(group["dropped"])} for group in members.values()),
        key=lambda group: group["kept"] or "",
    )


def _version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None

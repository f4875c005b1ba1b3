"""Choosing the segments to annotate next from a finished pool (`stance-corpus select`).

Candidates are the pool's heading and body segments that carry a model score, minus any segment id listed in the
`exclude` files (earlier selections, the annotation store, a predictions file: any JSON lines with `segment_id`).
Strategies (all reproducible for a seed):

- uncertainty: the highest model uncertainty (1 - (top score - second score)); ties in a seeded random order.
- diverse: k-means (k = budget) on the TF-IDF vectors of a seeded random sample of the candidates (at most
  max(10 x budget, 10,000)); from each cluster the segment nearest its centre.
- random: a seeded uniform sample.
- stratified: the same number from every stratum (source, month of publication, or target; `by`), as far as a
  stratum has segments, the rest shared among the larger ones; seeded random within a stratum.

The chosen segments are written as Label Studio task data (`tasks.jsonl`, for `stance-corpus annotate
--selection`) and as stance predictions (`predictions.jsonl`, for `annotate --predictions`), with a report of how the
chosen set differs from a random one of the same size (scores, predicted labels, sources).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.files import atomic_path, write_text_atomic
from stance_corpus.corpus.jsonl import read_jsonl, write_jsonl
from stance_corpus.corpus.schema import TaskData
from stance_corpus.labeling.selection import TASK_FIELDS, selection_line
from stance_corpus.labeling.tasks import SOURCE_NOT_STATED
from stance_corpus.pool.errors import PoolError
from stance_corpus.pool.pipeline import MANIFEST_FILE
from stance_corpus.pool.rows import score_column, shard_schema

STRATEGIES = ("uncertainty", "diverse", "random", "stratified")
STRATA = ("source", "published", "target")
COLUMNS = ("segment_id", "article_id", "kind", "text", "source", "published", "target_id", "target", "headline",
           "previous", "next", "actors", "stance", "uncertainty", "model_version")
REPORT_FILE = "report.json"


def read_candidates(pool: Path, exclude: list[Path]) -> tuple[pa.Table, tuple[str, ...]]:
    """The scored segments of a finished pool, in shard order, without the excluded segment ids; and the stance
    labels of the pool's model (a score column each, pool/rows.py)."""
    manifest_path = pool / MANIFEST_FILE
    if not manifest_path.is_file():
        raise PoolError(f"{pool} has no {MANIFEST_FILE}: not a finished pool (`stance-corpus pool` builds one)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    labels = tuple(manifest["labels"])
    columns = [*COLUMNS, *(score_column(label) for label in labels)]
    tables = []
    for shard in manifest["shards"]:
        table = pq.read_table(pool / shard["file"], columns=columns)
        tables.append(table.filter(table.column("uncertainty").is_valid()))
    candidates = pa.concat_tables(tables) if tables else shard_schema(labels).empty_table().select(columns)
    excluded = _excluded_ids(exclude)
    if excluded:
        chosen_before = pc.is_in(candidates.column("segment_id"), pa.array(excluded))  # type: ignore[attr-defined]
        candidates = candidates.filter(pc.invert(chosen_before))  # type: ignore[attr-defined]
    return candidates, labels


def _task_data(row: dict[str, Any]) -> TaskData:
    """The Label Studio task of a pool row, as `stance-corpus annotate` builds tasks (labeling/tasks.py)."""
    values = {name: "" if row.get(name) is None else row[name] for name in TASK_FIELDS}
    return TaskData(**{**values, "publisher": row["source"] or SOURCE_NOT_STATED})


def _excluded_ids(paths: list[Path]) -> list[str]:
    ids: set[str] = set()
    for path in paths:
        if not path.is_file():
            raise InputError(path, "no such file to exclude segments of")
        for line, record in read_jsonl(path):
            if not isinstance(record, dict) or not isinstance(record.get("segment_id"), str):
                raise InputError(f"{path}:{line}", "has no 'segment_id': exclude files list segments, one a line")
            ids.add(record["segment_id"])
    return sorted(ids)


def choose(candidates: pa.Table, budget: int, strategy: str, seed: int, by: str = "source") -> np.ndarray:
    """Row positions of the chosen segments in `candidates`, in the order annotators should see them."""
    if budget < 1:
        raise InputError("--budget", "must be 1 or more")
    if strategy not in _STRATEGIES:
        raise InputError("--strategy", f"{strategy!r} is not one of {', '.join(STRATEGIES)}")
    if candidates.num_rows == 0:
        raise PoolError("the pool has no scored segment left to choose (all excluded, or no heading or body)")
    budget = min(budget, candidates.num_rows)
    return _STRATEGIES[strategy](candidates, budget, np.random.default_rng(seed), by)


def _random(candidates: pa.Table, budget: int, rng: np.random.Generator, by: str) -> np.ndarray:
    return rng.choice(candidates.num_rows, size=budget, replace=False)


def _uncertainty(candidates: pa.Table, budget: int, rng: np.random.Generator, by: str) -> np.ndarray:
    uncertainty = candidates.column("uncertainty").to_numpy()
    tiebreak = rng.permutation(candidates.num_rows)
    return np.lexsort((tiebreak, -uncertainty))[:budget]


def _stratified(candidates: pa.Table, budget: int, rng: np.random.Generator, by: str) -> np.ndarray:
    if by not in STRATA:
        raise InputError("--by", f"{by!r} is not one of {', '.join(STRATA)}")
    strata = np.array([_stratum(value, by) for value in candidates.column(by).to_pylist()], dtype=object)
    names = sorted(set(strata.tolist()))
    members = {name: np.flatnonzero(strata == name) for name in names}
    quota = _equal_shares(budget, {name: len(members[name]) for name in names})
    chosen = [rng.permutation(members[name])[: quota[name]] for name in names]
    return rng.permutation(np.concatenate(chosen))


def _stratum(value: str | None, by: str) -> str:
    if value is None:
        return "(unknown)"
    return value[:7] if by == "published" else value  # a month: 2016-02


def _equal_shares(budget: int, sizes: dict[str, int]) -> dict[str, int]:
    """The same share of the budget for every stratum, a stratum smaller than its share giving the rest to the
    others (water filling); what cannot be split evenly goes to the strata first in name order."""
    quota = {name: 0 for name in sizes}
    left, open_strata = budget, sorted(sizes)
    while left > 0 and open_strata:
        share, extra = divmod(left, len(open_strata))
        for position, name in enumerate(open_strata):
            take = min(share + (position < extra), sizes[name] - quota[name])
            quota[name] += take
            left -= take
        open_strata = [name for name in open_strata if quota[name] < sizes[name]]
    return quota


def _diverse(candidates: pa.Table, budget: int, rng: np.random.Generator, by: str) -> np.ndarray:
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    sample_size = min(candidates.num_rows, max(10 * budget, 10_000))
    sample = np.sort(rng.choice(candidates.num_rows, size=sample_size, replace=False))
    texts = candidates.column("text").take(pa.array(sample)).to_pylist()
    vectors = TfidfVectorizer(sublinear_tf=True, max_features=50_000, dtype=np.float32).fit_transform(texts)
    kmeans = MiniBatchKMeans(
        n_clusters=budget, random_state=int(rng.integers(2**31)), batch_size=4096, n_init=1, max_iter=50
    ).fit(vectors)
    distances = kmeans.transform(vectors)
    labels = kmeans.labels_
    chosen: list[int] = []
    for cluster in range(budget):
        members = np.flatnonzero(labels == cluster)
        if len(members):
            chosen.append(int(members[np.argmin(distances[members, cluster])]))
    if len(chosen) < budget:  # empty clusters: fill with sample members nobody chose, in a seeded order
        rest = np.setdiff1d(np.arange(sample_size), chosen)
        chosen.extend(rng.permutation(rest)[: budget - len(chosen)].tolist())
    return sample[rng.permutation(np.array(chosen))]


_STRATEGIES: dict[str, Callable[[pa.Table, int, np.random.Generator, str], np.ndarray]] = {
    "uncertainty": _uncertainty,
    "diverse": _diverse,
    "random": _random,
    "stratified": _stratified,
}


def describe(rows: pa.Table, labels: tuple[str, ...]) -> dict[str, Any]:
    """Score, predicted-label and source distributions of a set of segments."""
    uncertainty = rows.column("uncertainty").to_numpy()
    predicted = Counter(rows.column("stance").to_pylist())
    sources = Counter(value or "(unknown)" for value in rows.column("source").to_pylist())
    return {
        "segments": rows.num_rows,
        "articles": len(set(rows.column("article_id").to_pylist())),
        "uncertainty": {
            "mean": round(float(uncertainty.mean()), 4),
            "median": round(float(np.median(uncertainty)), 4),
            "quartiles": [round(float(q), 4) for q in np.quantile(uncertainty, [0.25, 0.75])],
        },
        "predicted": {label: round(predicted[label] / rows.num_rows, 4) for label in labels},
        "sources": {name: round(count / rows.num_rows, 4) for name, count in sorted(sources.items())},
    }


def total_variation(first: dict[str, float], second: dict[str, float]) -> float:
    """Half the L1 distance between two distributions given as shares."""
    return round(sum(abs(first.get(key, 0.0) - second.get(key, 0.0)) for key in first.keys() | second.keys()) / 2, 4)


def select(
    pool: Path, out: Path, budget: int, strategy: str, seed: int = 0, by: str = "source", exclude: tuple[Path, ...] = ()
) -> dict:
    """Choose, write OUT/tasks.jsonl, OUT/predictions.jsonl and OUT/report.json; returns the report.

    OUT must not exist yet: a selection is never overwritten (annotators may be working on it)."""
    if out.exists():
        raise InputError(out, "exists: a selection is never overwritten; give a new --out")
    candidates, labels = read_candidates(pool, list(exclude))
    positions = choose(candidates, budget, strategy, seed, by)
    chosen = candidates.take(pa.array(positions))
    baseline = candidates.take(pa.array(_random(candidates, len(positions), np.random.default_rng(seed), by)))
    chosen_stats, random_stats = describe(chosen, labels), describe(baseline, labels)
    pool_stats = describe(candidates, labels)
    report = {
        "pool": str(pool),
        "strategy": strategy,
        "seed": seed,
        "by": by if strategy == "stratified" else None,
        "budget": budget,
        "excluded_files": [str(path) for path in exclude],
        "candidates": candidates.num_rows,
        "chosen": chosen_stats,
        "random": random_stats,
        "pool_candidates": pool_stats,
        "differences": {
            "mean_uncertainty": round(chosen_stats["uncertainty"]["mean"] - random_stats["uncertainty"]["mean"], 4),
            "predicted_labels_tv": total_variation(chosen_stats["predicted"], random_stats["predicted"]),
            "sources_tv": total_variation(chosen_stats["sources"], random_stats["sources"]),
        },
    }
    rows = chosen.to_pylist()
    tasks = [selection_line(_task_data(row), row["actors"]) for row in rows]
    predictions = [
        {
            "segment_id": row["segment_id"],
            "label": row["stance"],
            "scores": {label: row[score_column(label)] for label in labels if row[score_column(label)] is not None},
            "model_version": row["model_version"],
            "uncertainty": row["uncertainty"],
        }
        for row in rows
    ]
    folder = out.with_name(f".{out.name}.partial")
    if folder.exists():
        raise InputError(folder, "left by an interrupted selection: delete it")
    try:
        for name, records in (("tasks.jsonl", tasks), ("predictions.jsonl", predictions)):
            with atomic_path(folder / name) as temporary, temporary.open("w", encoding="utf-8") as handle:
                write_jsonl(records, handle)
        write_text_atomic(folder / REPORT_FILE, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        folder.rename(out)
    finally:
        if folder.exists():
            for path in folder.iterdir():
                path.unlink()
            folder.rmdir()
    return report

"""The pool pipeline on datatrove's local executor with 2 workers, end to end through the CLI, on a few hundred
articles recombined from the shared texts (`<repo>/../shared`, stance_corpus.pool.synthetic), scored by a model that
`stance-corpus baseline` trains here on a toy dataset.

- the shards hold exactly `stance-corpus segment`'s segments of the same articles, id for id, offsets and kinds;
- MinHash deduplication finds exactly the planted near duplicates;
- a worker killed mid-run stops the command, and running it again gives byte-identical shards and manifest;
- `select` gives the same selection for the same seed, and `annotate --selection` pushes it (real Label Studio).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from helpers import run, separable_rows, write_dataset
from stance_corpus.corpus import load_articles
from stance_corpus.corpus.actors import MentionContext, find_actor_mentions, load_actor_registry
from stance_corpus.corpus.project import load_project
from stance_corpus.corpus.schema import ANNOTATED_KINDS
from stance_corpus.labeling.server import connect
from stance_corpus.pool.errors import PoolError
from stance_corpus.pool.synthetic import synthetic_articles, write_article_jsonl, write_seed_folder

from stance_corpus.cli import main

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO / ".." / "shared"
# The pool's project: this repository's config (scheme, targets, page furniture) and actor registry; its seeds are
# not read. The pool's target is the project's default target.
PROJECT = load_project(REPO)
TARGET = PROJECT.scheme.target(PROJECT.default_targets[0])
ARTICLES = 300
TASKS = 6
SMALLEST_SOURCE = "Australian Department of Foreign Affairs"
SEGMENT_FIELDS = ("article_id", "index", "paragraph", "kind", "text", "start", "end")


def pool_command(inputs: list[Path], out: Path, model: Path, *extra: str) -> list[str]:
    """`stance-corpus pool` of the inputs on 2 local workers, TASKS shards, with this repository's project."""
    return ["pool", *map(str, inputs), "--out", str(out), "--model", str(model), "--project", str(REPO),
            "--workers", "2", "--tasks", str(TASKS), *extra]


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tfidf-logreg of `stance-corpus baseline` on a toy dataset (cue words; target 'the plan')."""
    root = tmp_path_factory.mktemp("model")
    dataset = write_dataset(root / "data", {"train": separable_rows(60, 6)})
    assert main(["baseline", dataset, "--out", str(root / "report")]) == 0
    (path,) = (root / "report" / "models").glob("tfidf-logreg-*.skops")
    return path


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    articles, planted = synthetic_articles(SHARED, ARTICLES, seed=7)
    assert planted == {}
    return write_seed_folder(articles, tmp_path_factory.mktemp("seeds") / "seeds")


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory, seeds: Path, model: Path) -> Path:
    out = tmp_path_factory.mktemp("pool") / "pool"
    assert main(pool_command([seeds], out, model)) == 0
    return out


def shard_rows(pool: Path, columns: list[str] | None = None) -> list[dict]:
    """Every row of the pool's shards, in shard order."""
    manifest = json.loads((pool / "manifest.json").read_text(encoding="utf-8"))
    tables = [pq.read_table(pool / shard["file"], columns=columns) for shard in manifest["shards"]]
    return [row for table in tables for row in table.to_pylist()]


def test_shards_hold_the_segments_of_stance_corpus_segment_id_for_id(pool, seeds, capsys) -> None:
    code, out, err = run(capsys, "segment", seeds, "--project", REPO)
    assert code == 0, err
    expected = {line["id"]: tuple(line[name] for name in SEGMENT_FIELDS) for line in map(json.loads, out.splitlines())}
    rows = shard_rows(pool)
    assert {row["segment_id"]: tuple(row[name] for name in SEGMENT_FIELDS) for row in rows} == expected
    assert len(rows) == len(expected)  # and each segment once

    manifest = json.loads((pool / "manifest.json").read_text(encoding="utf-8"))
    counts = manifest["counts"]
    assert counts["articles_read"] == counts["articles"] == ARTICLES
    assert counts["duplicates_dropped"] == 0 and (pool / "duplicates.jsonl").read_text() == ""
    assert counts["segments"] == len(expected)
    assert [shard["file"] for shard in manifest["shards"]] == [f"segments/{rank:05d}.parquet" for rank in range(TASKS)]
    assert manifest["libraries"]["datatrove"] and manifest["libraries"]["pyarrow"]

    # Pre-annotations are the gazetteer's (scoped aliases in the article's and the target's context, as annotate
    # finds them); heading and body segments carry the model's scores, the others none.
    registry = load_actor_registry(PROJECT.actors, PROJECT.scheme)
    texts = {article.id: article.text for article in load_articles(seeds)}
    annotated = {kind.value for kind in ANNOTATED_KINDS}
    for row in rows:
        context = MentionContext(target=TARGET.id, article_text=texts[row["article_id"]])
        found = find_actor_mentions(row["text"], registry, context)
        assert [(a["start"], a["end"], a["text"], a["type"], a["actor_id"]) for a in row["actors"]] == [
            (s.start, s.end, s.text, s.type, s.actor_id) for s in found
        ]
        assert (row["uncertainty"] is not None) == (row["kind"] in annotated)
        assert (row["target_id"], row["target"]) == (TARGET.id, TARGET.name)
    assert counts["scored_segments"] == sum(row["kind"] in annotated for row in rows)
    assert counts["actor_mentions"] == sum(len(row["actors"]) for row in rows)


def test_a_dump_gets_the_segments_and_ids_that_ingest_then_segment_give(tmp_path, model, capsys) -> None:
    """The pool reads files through the import path (readers, checks, content ids): pooling a JSONL dump gives the
    segments `stance-corpus segment` gives after `stance-corpus ingest` of the same dump."""
    articles, _ = synthetic_articles(SHARED, 120, seed=11)
    # The 4 texts of the smallest source make near duplicates of one another; ingest and the pool would each drop
    # some, at their own thresholds: leave them out, so that both keep every article.
    articles = [{k: v for k, v in a.items() if k != "id"} for a in articles if a["source"] != SMALLEST_SOURCE]
    jsonl = write_article_jsonl(articles, tmp_path / "dump.jsonl")
    code, out, err = run(capsys, "ingest", jsonl, "--project", tmp_path / "project")
    assert code == 0, err
    code, out, err = run(capsys, "segment", tmp_path / "project" / "seeds", "--project", REPO)
    assert code == 0, err
    expected = {line["id"]: tuple(line[name] for name in SEGMENT_FIELDS) for line in map(json.loads, out.splitlines())}
    assert len({key[0] for key in expected.values()}) == len(articles)
    code, out, err = run(capsys, *pool_command([jsonl], tmp_path / "pool", model))
    assert code == 0, err
    rows = shard_rows(tmp_path / "pool")
    assert {row["segment_id"]: tuple(row[name] for name in SEGMENT_FIELDS) for row in rows} == expected
    assert len(rows) == len(expected)


def test_near_duplicates_are_found_and_reported(tmp_path, model, capsys) -> None:
    articles, planted = synthetic_articles(SHARED, 200, seed=3, duplicate_rate=0.05, prefix="dup")
    assert len(planted) >= 5
    jsonl = write_article_jsonl(articles, tmp_path / "articles.jsonl")
    code, out, err = run(capsys, *pool_command([jsonl], tmp_path / "pool", model, "--id-field", "id"))
    assert code == 0, err
    groups = [json.loads(line) for line in (tmp_path / "pool" / "duplicates.jsonl").read_text().splitlines()]
    expected: dict[str, set[str]] = {}
    for copy, original in planted.items():
        expected.setdefault(original, {original}).add(copy)
    assert sorted(sorted([g["kept"], *g["dropped"]]) for g in groups) == sorted(map(sorted, expected.values()))
    dropped = {article_id for group in groups for article_id in group["dropped"]}
    kept = {row["article_id"] for row in shard_rows(tmp_path / "pool", ["article_id"])}
    assert kept == {article["id"] for article in articles} - dropped
    assert f"{len(dropped)} near-duplicate(s) dropped ({len(groups)} group(s)" in out


def descendants(pid: int) -> dict[int, str]:
    """pid -> command line of every process below `pid` (from /proc)."""
    parent: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: dict[int, str] = {}
    frontier = [pid]
    while frontier:
        current = frontier.pop()
        for child, its_parent in parent.items():
            if its_parent == current:
                try:
                    found[child] = (Path("/proc") / str(child) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                except OSError:
                    continue
                frontier.append(child)
    return found


def test_a_killed_worker_stops_the_run_and_a_rerun_gives_the_same_pool(tmp_path, pool, seeds, model) -> None:
    out = tmp_path / "pool"
    command = [sys.executable, "-m", "stance_corpus.cli", *pool_command([seeds], out, model)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        segments = out / "segments"
        deadline = time.monotonic() + 300
        # A shard being written (its temporary file beside it) means the segment stage's workers are busy.
        while not (segments.is_dir() and any(path.name.startswith(".") for path in segments.iterdir())):
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()
            time.sleep(0.01)
        forkservers = [pid for pid, line in descendants(process.pid).items() if "forkserver" in line]
        workers = sorted(pid for server in forkservers for pid in descendants(server))
        assert workers, "no worker process found"
        os.kill(workers[0], signal.SIGKILL)
        _, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 1
    assert "a worker process of the segment stage died" in err and "run the same command again to resume" in err
    finished = sorted(path.name for path in segments.glob("*.parquet"))
    assert len(finished) < TASKS and not (out / "manifest.json").exists()

    assert main(pool_command([seeds], out, model)) == 0
    for name in ["manifest.json", "duplicates.jsonl", *(f"segments/{rank:05d}.parquet" for rank in range(TASKS))]:
        assert (out / name).read_bytes() == (pool / name).read_bytes(), name
    assert not [path for path in segments.iterdir() if path.name.startswith(".")]  # no temporary file left


def test_a_pool_folder_is_resumed_only_with_the_same_inputs(tmp_path, pool, seeds, model, capsys) -> None:
    # Everything is finished: the same command does nothing and prints the same counts.
    before = (pool / "manifest.json").read_bytes()
    code, out, err = run(capsys, *pool_command([seeds], pool, model))
    assert code == 0, err
    assert f"{ARTICLES} article(s) read" in out and (pool / "manifest.json").read_bytes() == before
    # Other options on the same folder are refused; so is a folder that holds something else.
    code, _, err = run(capsys, *pool_command([seeds], pool, model, "--no-dedup"))
    assert code == 1 and "holds a pool started with other dedup" in err
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine", encoding="utf-8")
    code, _, err = run(capsys, *pool_command([seeds], tmp_path / "mine", model))
    assert code == 1 and "exists and is not a pool folder" in err
    assert (tmp_path / "mine" / "notes.txt").read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize("strategy", ["uncertainty", "diverse", "random", "stratified"])
def test_select_is_deterministic_for_a_seed(tmp_path, pool, strategy, capsys) -> None:
    outs = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        out = tmp_path / name
        code, stdout, err = run(capsys, "select", pool, "--budget", "40", "--strategy", strategy, "--seed", seed,
                                "--out", out)
        assert code == 0, err
        assert f"40 of {pool_candidates(pool)} candidate segments" in stdout
        outs.append(out)
    first, again, other = ((out / "tasks.jsonl").read_text(encoding="utf-8") for out in outs)
    assert first == again and first != other
    assert (outs[0] / "predictions.jsonl").read_bytes() == (outs[1] / "predictions.jsonl").read_bytes()
    tasks = [json.loads(line) for line in first.splitlines()]
    assert len({task["segment_id"] for task in tasks}) == 40
    rows = {row["segment_id"]: row for row in shard_rows(pool)}
    for task in tasks:
        row = rows[task["segment_id"]]
        fields = ("text", "article_id", "kind", "target_id", "target", "headline", "previous", "next", "actors")
        assert {name: task[name] for name in fields} == {name: row[name] for name in fields}
        assert task["publisher"] == row["source"]
    report = json.loads((outs[0] / "report.json").read_text(encoding="utf-8"))
    chosen = [rows[task["segment_id"]] for task in tasks]
    assert report["chosen"]["uncertainty"]["mean"] == round(sum(r["uncertainty"] for r in chosen) / 40, 4)
    if strategy == "uncertainty":
        threshold = min(r["uncertainty"] for r in chosen)
        assert sum(r["uncertainty"] > threshold for r in rows.values() if r["uncertainty"] is not None) < 40
    if strategy == "stratified":
        per_source: dict[str, int] = {}
        for row in chosen:
            per_source[row["source"]] = per_source.get(row["source"], 0) + 1
        assert max(per_source.values()) - min(per_source.values()) <= 1  # every source has more than 8 segments
    # A selection is never overwritten, and what it chose can be excluded next time.
    code, _, err = run(capsys, "select", pool, "--budget", "40", "--strategy", strategy, "--out", outs[0])
    assert code == 1 and "exists: a selection is never overwritten" in err
    code, _, err = run(capsys, "select", pool, "--budget", "40", "--strategy", strategy, "--seed", "5",
                       "--exclude", outs[0] / "tasks.jsonl", "--out", tmp_path / "next")
    assert code == 0, err
    later = {json.loads(line)["segment_id"] for line in (tmp_path / "next" / "tasks.jsonl").read_text().splitlines()}
    assert later.isdisjoint(task["segment_id"] for task in tasks) and len(later) == 40


def pool_candidates(pool: Path) -> int:
    return json.loads((pool / "manifest.json").read_text(encoding="utf-8"))["counts"]["scored_segments"]


@pytest.mark.labelstudio
def test_annotate_pushes_a_selection_with_its_predictions(label_studio_env, project_title, pool, tmp_path, capsys):
    code, _, err = run(capsys, "select", pool, "--budget", "12", "--strategy", "uncertainty", "--out", tmp_path / "s")
    assert code == 0, err
    tasks = [json.loads(line) for line in (tmp_path / "s" / "tasks.jsonl").read_text().splitlines()]
    code, out, err = run(capsys, "annotate", "--selection", tmp_path / "s" / "tasks.jsonl", "--predictions",
                         tmp_path / "s" / "predictions.jsonl", "--project", REPO, "--title", project_title)
    assert code == 0, err
    assert "12 task(s) for" in out and "12 created" in out and "task order: Uncertainty sampling" in out
    client = connect(label_studio_env.url, label_studio_env.token)
    (project,) = [p for p in client.projects.list(title=project_title) if p.title == project_title]
    pushed = {task.id: task.data for task in client.tasks.list(project=project.id, include="id,data")}
    assert sorted(pushed.values(), key=lambda data: data["segment_id"]) == sorted(
        ({name: value for name, value in task.items() if name != "actors"} for task in tasks),
        key=lambda data: data["segment_id"],
    )
    # The gazetteer's pre-annotations are the pool's spans of each task, under the project registry's version.
    version = f"gazetteer-{hashlib.sha256(PROJECT.actors.read_bytes()).hexdigest()[:8]}"
    chosen = {t["segment_id"]: [(a["start"], a["end"], a["text"], a["type"]) for a in t["actors"]] for t in tasks}
    assert sum(map(len, chosen.values())) > 0
    gazetteer = [p for p in client.predictions.list(project=project.id) if p.model_version == version]
    assert len(gazetteer) == 12
    for prediction in gazetteer:
        spans = [
            (r["value"]["start"], r["value"]["end"], r["value"]["text"], r["value"]["labels"][0])
            for r in prediction.result
            if r["from_name"] == "actor"
        ]
        assert spans == chosen[pushed[prediction.task]["segment_id"]]
    code, _, err = run(capsys, "annotate", "seeds", "--selection", tmp_path / "s" / "tasks.jsonl",
                       "--project", REPO, "--title", project_title)
    assert code == 1 and "give seed PATHs or --selection FILE, not both" in err


def test_slurm_settings_reach_datatrove_job_script(tmp_path) -> None:
    """No Slurm here: the job script datatrove would submit for a stage, from the options of `--executor slurm`."""
    from stance_corpus.pool.engine import EngineSettings, make_executor

    settings = EngineSettings(executor="slurm", partition="cpu", time="02:00:00", mem_per_cpu_gb=4,
                              venv="/opt/venv/bin/activate", sbatch_args={"account": "stance"})
    executor = make_executor(settings, "segment", [], 64, tmp_path / "logs", None)
    script = executor.get_launch_file_contents(executor.get_sbatch_args(), "launch_pickled_pipeline executor.pik")
    for line in ("#SBATCH --partition=cpu", "#SBATCH --time=02:00:00", "#SBATCH --cpus-per-task=1",
                 "#SBATCH --mem-per-cpu=4G", "#SBATCH --job-name=stance-pool-segment", "#SBATCH --account=stance",
                 "source /opt/venv/bin/activate", "launch_pickled_pipeline executor.pik"):
        assert line in script.splitlines(), line
    assert executor.world_size == 64
    with pytest.raises(PoolError, match="--executor slurm needs --partition"):
        make_executor(EngineSettings(executor="slurm"), "segment", [], 64, tmp_path / "logs", None)


def test_pool_input_errors_are_one_line(tmp_path, model, capsys) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "Title\\n\\nBody.", "language": "en", "license": "x"}\n[1]\n', encoding="utf-8")
    code, _, err = run(capsys, *pool_command([bad], tmp_path / "pool", model, "--no-dedup"))
    assert code == 1
    assert err.strip().splitlines()[-1] == f"stance-corpus: error: {bad}:2: not a JSON object (a list)"
    shutil.rmtree(tmp_path / "pool")
    code, _, err = run(capsys, *pool_command([tmp_path / "nothing"], tmp_path / "pool", model))
    assert (code, err.strip()) == (1, f"stance-corpus: error: {tmp_path / 'nothing'}: no such file or folder")

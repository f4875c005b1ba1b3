"""Benchmark: building a release of ~100,000 sentences, beside a bare `Dataset.from_list(...).to_parquet(...)` of
the same rows measured in the same run, and `load_dataset` of the result.

The corpus is the seed articles replicated with fresh ids (and a numbered headline, so no two texts are equal),
a gold label for every heading and body sentence and two annotators' labels each (one agrees with gold, one says
NONE), with actor spans on the names of a short list found in the text. Goals (issue 5): build <= 1.5x the bare
write and <= 30 s; load_dataset <= 5 s. The build is also timed in one process (workers=1), to show what segmenting
in parallel gains on this machine, and so is segmenting alone, the part of the build that the bare write skips; the
load average is printed because other work on the machine slows every figure.

    .venv/bin/python benchmarks/release.py [--sentences 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import datasets

datasets.disable_progress_bars()  # the release builds print their own progress; one bar per parquet file is noise

from stance_corpus.corpus import load_articles, segment_article
from stance_corpus.corpus.project import load_project
from stance_corpus.corpus.release.build import build_release, write_tables
from stance_corpus.corpus.release.folder import first_difference, read_release
from stance_corpus.corpus.release.rows import ReleaseSchema
from stance_corpus.corpus.schema import ANNOTATED_KINDS, GOLD_ANNOTATOR, ActorSpan, Annotation
from stance_corpus.corpus.store import write_annotations
from stance_corpus.corpus.workers import segmenting

REPO = Path(__file__).resolve().parents[1]
STANCES = ("FAVOR", "AGAINST", "NONE")
ACTOR_NAMES = {
    "de Mistura": "INTERNATIONAL",
    "High Negotiations Committee": "OPPOSITION",
    "Lavrov": "GOVERNMENT",
    "Syrian Observatory for Human Rights": "CIVIL_SOCIETY",
    "RIA Novosti": "MEDIA",
    "Jabhat al-Nusra": "MILITANT",
}


def make_project(root: Path, sentences: int) -> int:
    """A copy of this repository's project config with its seed article replicated and a store of about
    `sentences` gold sentences under root; returns the number of articles."""
    seeds = load_articles(load_project(REPO).seeds)
    per_round = sum(1 for a in seeds for s in segment_article(a) if s.kind in ANNOTATED_KINDS)
    copies = -(-sentences // per_round)
    (root / "seeds").mkdir(parents=True)
    catalogue = []
    for copy in range(copies):
        for article in seeds:
            article_id = f"bench_{copy:06d}_{article.id}"
            headline, rest = article.text.split("\n", 1)
            (root / "seeds" / f"{article_id}.txt").write_text(f"{headline} ({copy})\n{rest}", encoding="utf-8")
            catalogue.append({"id": article_id, "title": article.title, "source": article.source,
                              "published": article.published, "url": article.url, "language": article.language,
                              "license": article.license, "notes": "benchmark replica"})
    (root / "seeds" / "articles.jsonl").write_text("".join(json.dumps(c) + "\n" for c in catalogue), "utf-8")
    gold, raw = [], []
    for article in load_articles(root / "seeds"):
        for segment in segment_article(article):
            if segment.kind not in ANNOTATED_KINDS:
                continue
            stance = STANCES[segment.index % 3]
            spans = tuple(
                ActorSpan(start, start + len(name), name, kind, None, stance)
                for name, kind in ACTOR_NAMES.items()
                for start in [segment.text.find(name)]
                if start >= 0
            )
            record = {"segment_id": segment.id, "article_id": article.id, "text": segment.text, "target": "syria_peace"}
            gold.append(Annotation(**record, annotator=GOLD_ANNOTATOR, stance=stance, actors=spans))
            raw.append(Annotation(**record, annotator="annotator_1", stance=stance, actors=spans))
            raw.append(Annotation(**record, annotator="annotator_2", stance="NONE"))
    write_annotations(root / "annotations" / "gold.jsonl", gold)
    write_annotations(root / "annotations" / "annotations.jsonl", raw)
    shutil.copy(REPO / "DATASET_CARD.md", root)
    shutil.copy(REPO / "stance-corpus.toml", root)
    (root / "CHANGELOG.md").write_text("# Changelog\n\n## Dataset releases\n\n### 9.9.9\n- Benchmark.\n", "utf-8")
    return copies * len(seeds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stance-corpus-bench-") as scratch:
        root = Path(scratch)
        articles = make_project(root, args.sentences)
        project = load_project(root)
        schema = ReleaseSchema(project.scheme)

        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        folder, _ = build_release(project, "9.9.9", root / "release")
        build_seconds = time.perf_counter() - started
        started = time.perf_counter()
        one_process, _ = build_release(project, "9.9.9", root / "release-one-process", workers=1)
        one_process_seconds = time.perf_counter() - started
        difference = first_difference(folder, one_process)
        # What no build can skip: segmenting every article (syntok, ids, word tokens) in the same worker processes.
        started = time.perf_counter()
        with segmenting(load_articles(root / "seeds")) as segmented:
            for _ in segmented:
                pass
        segmenting_seconds = time.perf_counter() - started

        tables = read_release(folder)  # the rows of the release, read back outside the clock, for the two writers
        started = time.perf_counter()
        for config, splits in tables.items():
            for split, rows in splits.items():
                path = root / "bare" / config / f"{split}.parquet"
                path.parent.mkdir(parents=True, exist_ok=True)
                datasets.Dataset.from_list(rows, features=schema.features[config]).to_parquet(path)
        bare_seconds = time.perf_counter() - started
        (root / "ours").mkdir()
        started = time.perf_counter()
        write_tables(tables, root / "ours", schema)
        write_seconds = time.perf_counter() - started

        started = time.perf_counter()
        loaded = datasets.load_dataset(str(folder), "sentences", cache_dir=str(root / "cache"))
        load_seconds = time.perf_counter() - started

        rows = sum(len(r) for splits in tables.values() for r in splits.values())
        sentences = sum(loaded.num_rows.values())
        print(f"corpus: {articles} articles, {sentences} sentences, {rows} rows in {len(tables)} configs")
        print(f"machine: {os.cpu_count()} CPUs, load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
        print(f"release build (seeds + store -> release folder):     {build_seconds:7.2f} s (the CLI path)")
        print(f"  the same build in one process (workers=1):         {one_process_seconds:7.2f} s "
              f"({'identical files' if difference is None else f'DIFFERENT: {difference}'})")
        print(f"  segmenting alone, in the same worker processes:      {segmenting_seconds:7.2f} s")
        print(f"bare Dataset.from_list(...).to_parquet(...), same rows: {bare_seconds:7.2f} s")
        print(f"  ratio build / bare write: {build_seconds / bare_seconds:.2f}x (goal <= 1.5x; build goal <= 30 s)")
        print(f"  ratio segmenting alone / bare write: {segmenting_seconds / bare_seconds:.2f}x")
        print(f"release writer alone (write_tables), same rows:     {write_seconds:7.2f} s")
        print(f"  ratio release writer / bare write: {write_seconds / bare_seconds:.2f}x")
        print(f"load_dataset(release, 'sentences'), cold cache:      {load_seconds:7.2f} s (goal <= 5 s)")


if __name__ == "__main__":
    main()

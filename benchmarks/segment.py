"""Speed and memory of `stance-corpus segment`'s path against bare syntok, on variants of the seed article.

    .venv/bin/python benchmarks/segment.py [--articles 500] [--memory-sizes 100 500] [--seed 0]

Writes N distinct variants of the seed (paragraphs shuffled, places and people swapped, with a seeded RNG: identical
texts are rejected by design) into a temporary seed folder with its catalogue, then measures in the same run:

- speed (best of 3): the project's path, `iter_articles` + `segment_article` (reading, checking and hashing the files
  included), against `syntok.segmenter.analyze` on the same texts already in memory; chars/s, segments/s and the ratio;
- peak memory (tracemalloc) at two sizes of N: the streaming path (segmenting everything) against only loading
  every article first (`load_articles`), and what each added article costs.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import jsonlines
import syntok.segmenter
from tqdm import tqdm

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing

from stance_corpus.corpus.articles import CATALOGUE_NAME, iter_articles, load_articles
from stance_corpus.corpus.segment import segment_article

SEED_ID = "000_b923e88ad6c5b85a"
TIMING_RUNS = 3
# Names of the seed and what a variant may put in their place.
SUBSTITUTES = {
    "Geneva": ("Vienna", "Lausanne", "Astana", "Montreux"),
    "Aleppo": ("Homs", "Idlib", "Hama", "Latakia"),
    "Staffan de Mistura": ("Lakhdar Brahimi", "Kofi Annan", "Geir Pedersen"),
    "Sergey Lavrov": ("Sergei Shoigu", "Maria Zakharova"),
    "John Kerry": ("Hillary Clinton", "Samantha Power"),
    "Nubul and Zahraa": ("Kefraya and Foua", "Madaya and Zabadani"),
    "Ratyan": ("Hardatnin", "Mayer", "Tal Jabin"),
}


def variants(seed_text: str, count: int, rng: random.Random) -> Iterator[str]:
    """`count` distinct texts: the seed's headline first, its other paragraphs shuffled, names swapped."""
    headline, *paragraphs = seed_text.rstrip("\n").split("\n\n")
    seen: set[str] = set()
    while len(seen) < count:
        rng.shuffle(paragraphs)
        text = "\n\n".join([headline, *paragraphs]) + "\n"
        for name, choices in SUBSTITUTES.items():
            text = text.replace(name, rng.choice((name, *choices)))
        if text not in seen:
            seen.add(text)
            yield text


def write_seed_folder(folder: Path, count: int, rng: random.Random) -> list[str]:
    """A seed folder of `count` variant articles with its catalogue; returns the texts in catalogue order."""
    seed_text = (REPO / "seeds" / f"{SEED_ID}.txt").read_text(encoding="utf-8")
    with jsonlines.open(REPO / "seeds" / CATALOGUE_NAME) as catalogue:
        meta = catalogue.read()
    texts = []
    with jsonlines.open(folder / CATALOGUE_NAME, mode="w") as catalogue:
        progress = tqdm(variants(seed_text, count, rng), total=count, desc=f"writing {count} articles", leave=False)
        for number, text in enumerate(progress):
            article_id = f"{number:06d}_variant"
            (folder / f"{article_id}.txt").write_text(text, encoding="utf-8")
            catalogue.write({**meta, "id": article_id})
            texts.append(text)
    return texts


def project_path(folder: Path) -> int:
    """What `stance-corpus segment FOLDER` does short of printing: the number of segments."""
    return sum(1 for article in iter_articles([folder]) for _ in segment_article(article))


def load_everything_first(folder: Path) -> int:
    return len(load_articles(folder))


def bare_syntok(texts: list[str]) -> int:
    return sum(1 for text in texts for paragraph in syntok.segmenter.analyze(text) for _ in paragraph)


def best_times(runs: dict[str, Callable[[], int]]) -> dict[str, tuple[float, int]]:
    """Best wall time and result of each run; the runs take turns, so a busy moment of the machine hits all alike."""
    best: dict[str, tuple[float, int]] = {}
    for _ in tqdm(range(TIMING_RUNS), desc="timing", leave=False):
        for label, run in runs.items():
            start = time.perf_counter()
            segments = run()
            seconds = time.perf_counter() - start
            best[label] = min(best.get(label, (seconds, segments)), (seconds, segments))
    return best


def peak_bytes(run: Callable[[], int]) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=500, help="articles in the speed run (default 500)")
    parser.add_argument(
        "--memory-sizes", type=int, nargs=2, default=(100, 500), metavar=("SMALL", "LARGE"),
        help="the two corpus sizes whose peak memory is compared (default 100 500)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the RNG that varies the articles (default 0)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="segment-benchmark-") as temporary:
        folder = Path(temporary) / "speed"
        folder.mkdir()
        texts = write_seed_folder(folder, args.articles, random.Random(args.seed))
        chars = sum(map(len, texts))
        project, bare = "project: iter_articles + segment_article", "bare syntok.segmenter.analyze (texts in memory)"
        best = best_times({project: lambda: project_path(folder), bare: lambda: bare_syntok(texts)})

        print(f"{args.articles} articles, {chars:,} characters, best of {TIMING_RUNS} runs, RNG seed {args.seed}\n")
        print("| path | chars/s | segments/s | seconds |", "|---|--:|--:|--:|", sep="\n")
        for label, (seconds, segments) in best.items():
            print(f"| {label} | {chars / seconds:,.0f} | {segments / seconds:,.0f} | {seconds:.2f} |")
        print(f"\nratio project / bare syntok (chars/s): {best[bare][0] / best[project][0]:.2f} (goal >= 0.80)\n")

        peaks = {}
        for size in tqdm(args.memory_sizes, desc="peak memory", leave=False):
            size_folder = Path(temporary) / f"memory-{size}"
            size_folder.mkdir()
            write_seed_folder(size_folder, size, random.Random(args.seed))
            peaks[size] = [
                peak_bytes(lambda run=run, folder=size_folder: run(folder))
                for run in (project_path, load_everything_first)
            ]
        small, large = args.memory_sizes
        print(f"| peak memory (tracemalloc) | {small} articles | {large} articles | each added article |")
        print("|---|--:|--:|--:|")
        labels = ("streaming + segmenting (the CLI path)", "load_articles only (all texts held)")
        for column, label in enumerate(labels):
            low, high = peaks[small][column], peaks[large][column]
            per_article = (high - low) / (large - small)
            print(f"| {label} | {low / 2**20:.2f} MiB | {high / 2**20:.2f} MiB | {per_article / 1024:.1f} KiB |")
        print(f"\nmean article text: {chars / args.articles / 1024:.1f} Ki characters")


if __name__ == "__main__":
    main()

"""`stance-corpus ingest` against the bare libraries: body-text F1 and speed on real pages, docs/s and memory at scale.

    .venv/bin/python benchmarks/ingest.py html    [--shared ../shared] [--rounds 3]
    .venv/bin/python benchmarks/ingest.py scale   [--shared ../shared] [--records 2000 20000] [--workers 2]

html: the 45 saved news pages of the extraction benchmark (../shared/benchmarks/extraction/, read in place). Ours is
`ingest` (the command's function: read the .html.gz files, decode, extract, check, MinHash, write a temporary
project); bare is `trafilatura.extract(page)` on the decompressed bytes, the library called directly with its
defaults. Body-text F1 as the benchmark's README prescribes: word tokens (`\\w+`), 4-token shingles, Counter
intersection, P/R/F1 per page averaged over pages (a page that yields nothing scores 0). Ours is scored on the
article text it wrote without its first paragraph (the headline ingest puts first); "whole text" keeps it. Speed:
pages per second, best of `--rounds` runs taking turns.

scale: N records made from the shared texts (the re3d press statements, GUM news, the extraction benchmark's
bodies, the seed), each with a fresh title ("Replica 17: ...") so that every text is new. From one JSONL file and
from one WARC file (each text as a small HTML page in an HTTP response), ours (`ingest`, near duplicates off: the
replicas are near duplicates of each other by construction; one row with them on) against the bare loop (JSONL:
`json.loads` per line; WARC: warcio's ArchiveIterator + `trafilatura.extract` per response). Each run is a fresh
process; memory is its peak resident set (ru_maxrss, imported libraries included).
"""

from __future__ import annotations

import argparse
import gzip
import html as html_escape
import io
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LICENSE = "benchmark"


# -- html ------------------------------------------------------------------------------------------------------------


def shingles(text: str | None) -> Counter:
    words = re.findall(r"\w+", text or "")
    return Counter(tuple(words[i:i + 4]) for i in range(len(words) - 3))


def page_f1(predicted: str | None, truth: str) -> float:
    ours, gold = shingles(predicted), shingles(truth)
    common = sum((ours & gold).values())
    if not common:
        return 0.0
    precision, recall = common / sum(ours.values()), common / sum(gold.values())
    return 2 * precision * recall / (precision + recall)


def run_html(shared: Path, rounds: int) -> None:
    import trafilatura
    from stance_corpus.corpus.articles import load_articles
    from stance_corpus.corpus.ingest.importer import IngestOptions, ingest
    from stance_corpus.corpus.ingest.records import SourceDefaults

    folder = shared / "benchmarks" / "extraction"
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    files = sorted((folder / "html").glob("*.html.gz"))
    options = IngestOptions(defaults=SourceDefaults(license=LICENSE, language="und"), skip_bad=True)
    ours_best = bare_best = float("inf")
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as project:
            start = time.perf_counter()
            report = ingest([str(folder / "html")], Path(project) / "seeds", options)
            ours_best = min(ours_best, time.perf_counter() - start)
            texts = {}
            by_id = {article.id: article for article in load_articles(Path(project) / "seeds")}
            for article_id, origin in report.imported:
                texts[Path(origin).name.split(".")[0]] = by_id[article_id].text
        start = time.perf_counter()
        bare = {file.name.split(".")[0]: trafilatura.extract(gzip.decompress(file.read_bytes())) for file in files}
        bare_best = min(bare_best, time.perf_counter() - start)
    rejected = [problem.origin for problem in report.rejected]
    duplicated = sum(len(group.dropped) for group in report.duplicates)
    scores = {"ours": [], "ours (whole text)": [], "bare trafilatura.extract": []}
    for page_id, page in truth.items():
        text = texts.get(page_id)
        body = text.split("\n\n", 1)[1] if text and "\n\n" in text else None
        scores["ours"].append(page_f1(body, page["articleBody"]))
        scores["ours (whole text)"].append(page_f1(text, page["articleBody"]))
        scores["bare trafilatura.extract"].append(page_f1(bare[page_id], page["articleBody"]))
    print(f"{len(files)} pages; trafilatura {trafilatura.__version__}; ours imported {len(report.imported)}, "
          f"rejected {len(rejected)}, duplicates {duplicated}")
    print("| extractor | body F1 | pages/s |")
    print("|---|--:|--:|")
    speeds = {"ours": len(files) / ours_best, "bare trafilatura.extract": len(files) / bare_best}
    for name, values in scores.items():
        speed = speeds.get(name)
        print(f"| {name} | {sum(values) / len(values):.3f} | {f'{speed:.1f}' if speed else '(same run)'} |")
    print(f"speed ratio ours / bare: {speeds['ours'] / speeds['bare trafilatura.extract']:.2f}")


# -- scale -----------------------------------------------------------------------------------------------------------

PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head><body>'
    '<nav><a href="/">Home</a> <a href="/world">World</a></nav><article><h1>{title}</h1>{paragraphs}</article>'
    "<footer>Example News</footer></body></html>"
)


def shared_texts(shared: Path) -> list[tuple[str, str]]:
    """(title, body) of every shared text."""
    texts = []
    for path in sorted((shared / "corpora" / "re3d-press").glob("*/documents.json")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            texts.append((record["title"], record["text"]))
    gum_news = shared / "benchmarks" / "segmentation" / "gum_news_dev.jsonl"
    for line in gum_news.read_text(encoding="utf-8").splitlines():
        headline, body = json.loads(line)["text"].split("\n\n", 1)
        texts.append((headline, body))
    truth = json.loads((shared / "benchmarks" / "extraction" / "ground-truth.json").read_text(encoding="utf-8"))
    for page_id, page in sorted(truth.items()):
        texts.append((f"Article {page_id[:8]}", page["articleBody"]))
    seed = (REPO / "seeds" / "000_b923e88ad6c5b85a.txt").read_text(encoding="utf-8")
    texts.append(tuple(seed.split("\n\n", 1)))  # type: ignore[arg-type]
    return texts


def replicas(shared: Path, count: int):
    texts = shared_texts(shared)
    for number in range(count):
        title, body = texts[number % len(texts)]
        yield number, f"Replica {number}: {title}", body


def write_sources(shared: Path, count: int, folder: Path) -> tuple[Path, Path]:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    jsonl, warc = folder / f"records-{count}.jsonl", folder / f"pages-{count}.warc.gz"
    with jsonl.open("w", encoding="utf-8") as lines, warc.open("wb") as archive:
        writer = WARCWriter(archive, gzip=True)
        for number, title, body in replicas(shared, count):
            lines.write(json.dumps({"id": f"r{number}", "title": title, "text": body, "license": LICENSE,
                                    "language": "en"}) + "\n")
            paragraphs = "".join(f"<p>{html_escape.escape(p)}</p>" for p in body.split("\n") if p.strip())
            page = PAGE.format(title=html_escape.escape(title), paragraphs=paragraphs).encode("utf-8")
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            url = f"https://news.example.org/replica/{number}"
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(page),
                                                          http_headers=headers))
    return jsonl, warc


def measure(kind: str, path: Path, workers: int = 1, near: bool = False) -> dict:
    """Run one measurement in a fresh process (this script's `_run`); its seconds, documents and peak memory."""
    command = [sys.executable, __file__, "_run", kind, str(path), str(workers), "near" if near else "exact"]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.splitlines()[-1])


def _run(kind: str, path: str, workers: str, near: str) -> None:
    start = time.perf_counter()
    if kind.startswith("ours"):
        from stance_corpus.corpus.ingest.importer import IngestOptions, ingest
        from stance_corpus.corpus.ingest.records import SourceDefaults

        options = IngestOptions(defaults=SourceDefaults(license=LICENSE, language="en"), workers=int(workers),
                                near_threshold=0.6 if near == "near" else None)
        with tempfile.TemporaryDirectory(dir=Path(path).parent) as project:
            start = time.perf_counter()
            report = ingest([path], Path(project) / "seeds", options)
            seconds = time.perf_counter() - start
        documents = len(report.imported) + report.duplicate_count
    elif kind == "bare-jsonl":
        documents = 0
        with open(path, "rb") as handle:
            for line in handle:
                documents += bool(json.loads(line)["text"])
        seconds = time.perf_counter() - start
    else:
        import trafilatura
        from warcio.archiveiterator import ArchiveIterator

        start = time.perf_counter()
        documents = 0
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle):
                if record.rec_type == "response":
                    documents += bool(trafilatura.extract(record.content_stream().read()))
        seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "documents": documents, "peak_mb": peak}))


def run_scale(shared: Path, sizes: list[int], workers: int) -> None:
    rows = [
        "| source | records | path | seconds | docs/s | peak MB | ratio ours / bare |",
        "|---|--:|---|--:|--:|--:|--:|",
    ]
    with tempfile.TemporaryDirectory() as folder:
        for count in sizes:
            jsonl, warc = write_sources(shared, count, Path(folder))
            for source, path, bare_kind in (("JSONL", jsonl, "bare-jsonl"), ("WARC", warc, "bare-warc")):
                bare = measure(bare_kind, path)
                runs = [("ours", measure("ours", path))]
                if count == max(sizes):
                    if source == "JSONL":
                        runs.append(("ours, near duplicates on", measure("ours", path, near=True)))
                    runs.append((f"ours --workers {workers}", measure("ours", path, workers=workers)))
                bare_speed = bare["documents"] / bare["seconds"]
                name = "bare json.loads loop" if source == "JSONL" else "bare warcio + trafilatura.extract"
                rows.append(f"| {source} | {count:,} | {name} | {bare['seconds']:.1f} | {bare_speed:,.0f} "
                            f"| {bare['peak_mb']:.0f} | |")
                for label, run in runs:
                    speed = run["documents"] / run["seconds"]
                    rows.append(f"| {source} | {count:,} | {label} | {run['seconds']:.1f} | {speed:,.0f} "
                                f"| {run['peak_mb']:.0f} | {speed / bare_speed:.2f} |")
                print(rows[-1], flush=True)
    print(*rows, sep="\n")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_run"]:
        _run(*argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", choices=("html", "scale"))
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared", help="the shared reference material")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--records", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if args.part == "html":
        run_html(args.shared, args.rounds)
    else:
        run_scale(args.shared, sorted(args.records), args.workers)


if __name__ == "__main__":
    main()

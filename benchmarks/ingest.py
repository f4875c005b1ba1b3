"""`stance-corpus ingest` against the bare libraries: body-text F1 and speed on real pages, docs/s and memory at scale.

    .venv/bin/python benchmarks/ingest.py html    [--shared ../shared] [--rounds 3]
    .venv/bin/python benchmarks/ingest.py scale   [--shared ../shared] [--records 2000 20000] [--workers 2] [--rounds 1]
    .venv/bin/python benchmarks/ingest.py dates   [--shared ../shared] [--list]

html: the 45 saved news pages of the extraction benchmark (../shared/benchmarks/extraction/, read in place). Ours is
`ingest` (the command's function: read the .html.gz files, decode, extract, check, MinHash, write a temporary
project); bare is `trafilatura.extract(page)` on the decompressed bytes, the library called directly with its
defaults. Body-text F1 as the benchmark's README prescribes: word tokens (`\\w+`), 4-token shingles, Counter
intersection, P/R/F1 per page averaged over pages (a page that yields nothing scores 0). Ours is scored on the
article text it wrote without its first paragraph (the headline ingest puts first); "whole text" keeps it. Speed:
pages per second, best of `--rounds` runs taking turns. Then trafilatura alone with the settings ingest could use
(the metadata ingest records, dates from the markup): body P/R/F1 and speed against the bare call, how ingest's
`EXTRACTION_SETTINGS` were chosen.

scale: N records made from the shared texts (the re3d press statements, GUM news, the extraction benchmark's
bodies, the seed), each with a fresh title ("Replica 17: ...") so that every text is new. From one JSONL file of
texts, one JSONL file of pages (each text as a small HTML page in an `html` field, as a crawl's export has it) and
one WARC file (the same pages in HTTP responses), ours (`ingest`, near duplicates off: the replicas are near
duplicates of each other by construction; one row with them on) against the bare loop (JSONL: `json.loads` per
line; JSONL of pages: that and `trafilatura.extract` of each page; WARC: warcio's ArchiveIterator +
`trafilatura.extract` per response), and against the bare loop doing part of ingest's work (JSONL: writing each
text to a file of its own; pages: `extract` with the metadata ingest records, `with_metadata=True`, dates from the
page's markup: `extensive_search` off, as ingest asks). Each
run is a fresh process that imports its libraries before its clock starts; memory is its peak resident set
(ru_maxrss, imported libraries included). `--rounds N` runs every path N times, taking turns, and keeps each one's
fastest run (the machine's other jobs move single runs by tens of percent).

dates: where the dates of the shared texts come from as ingest takes them (docs/ingest.md): the record's date field,
else the URL's path, else a dateline at the text's opening; for the 75 re3d press statements
(../shared/corpora/re3d-press/*/documents.json) and the 12 GUM news articles (Wikinews, with their dateline
paragraph). `--list` prints every text's date, where it came from and its opening, for checking by hand.
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


def page_scores(predicted: str | None, truth: str) -> tuple[float, float, float]:
    """Body-text precision, recall and F1 of one page."""
    ours, gold = shingles(predicted), shingles(truth)
    common = sum((ours & gold).values())
    if not common:
        return 0.0, 0.0, 0.0
    precision, recall = common / sum(ours.values()), common / sum(gold.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


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
        scores["ours"].append(page_scores(body, page["articleBody"])[2])
        scores["ours (whole text)"].append(page_scores(text, page["articleBody"])[2])
        scores["bare trafilatura.extract"].append(page_scores(bare[page_id], page["articleBody"])[2])
    print(f"{len(files)} pages; trafilatura {trafilatura.__version__}; ours imported {len(report.imported)}, "
          f"rejected {len(rejected)}, duplicates {duplicated}")
    print("| extractor | body F1 | pages/s |")
    print("|---|--:|--:|")
    speeds = {"ours": len(files) / ours_best, "bare trafilatura.extract": len(files) / bare_best}
    for name, values in scores.items():
        speed = speeds.get(name)
        print(f"| {name} | {sum(values) / len(values):.3f} | {f'{speed:.1f}' if speed else '(same run)'} |")
    print(f"speed ratio ours / bare: {speeds['ours'] / speeds['bare trafilatura.extract']:.2f}")
    compare_settings(files, truth, rounds)


def compare_settings(files: list[Path], truth: dict, rounds: int) -> None:
    """trafilatura alone on the same pages with the settings ingest could use: how its own were chosen."""
    import trafilatura
    from stance_corpus.corpus.ingest.extract import DATE_PARAMETERS, EXTRACTION_SETTINGS

    def with_metadata(**settings):
        return lambda page: getattr(trafilatura.bare_extraction(
            page, with_metadata=True, date_extraction_params=DATE_PARAMETERS, **settings), "text", None)

    candidates = {
        "the library's defaults, no metadata (the bare call)": trafilatura.extract,
        "no comments, favor_precision (ingest before)": with_metadata(include_comments=False, favor_precision=True),
        "no comments": with_metadata(include_comments=False),
        "no comments, fast": with_metadata(include_comments=False, fast=True),
        "no comments, fast, favor_precision": with_metadata(include_comments=False, fast=True, favor_precision=True),
        f"ingest's: {', '.join(f'{k}={v}' for k, v in EXTRACTION_SETTINGS.items())}": with_metadata(
            **EXTRACTION_SETTINGS),
    }
    pages = {file.name.split(".")[0]: gzip.decompress(file.read_bytes()) for file in files}
    best = dict.fromkeys(candidates, float("inf"))
    texts: dict[str, dict] = {}
    for _ in range(rounds):
        for name, extract in candidates.items():
            start = time.perf_counter()
            texts[name] = {page_id: extract(page) for page_id, page in pages.items()}
            best[name] = min(best[name], time.perf_counter() - start)
    bare = next(iter(candidates))
    print("\ntrafilatura alone on the same pages; but for the bare call, with the metadata ingest records:")
    print("| settings | body P | body R | body F1 | pages/s | speed / the bare call |")
    print("|---|--:|--:|--:|--:|--:|")
    for name in candidates:
        scores = [page_scores(texts[name][page_id], page["articleBody"]) for page_id, page in truth.items()]
        precision, recall, f1 = (sum(values) / len(values) for values in zip(*scores))
        print(f"| {name} | {precision:.3f} | {recall:.3f} | {f1:.3f} | {len(pages) / best[name]:.1f} | "
              f"{best[bare] / best[name]:.2f} |")


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


def write_sources(shared: Path, count: int, folder: Path) -> dict[str, Path]:
    """The N records as a JSONL file of texts, a JSONL file of pages (an `html` field) and a WARC file of pages."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    paths = {"JSONL": folder / f"records-{count}.jsonl", "JSONL of pages": folder / f"pages-{count}.jsonl",
             "WARC": folder / f"pages-{count}.warc.gz"}
    with (paths["JSONL"].open("w", encoding="utf-8") as lines, paths["JSONL of pages"].open("w", encoding="utf-8")
          as page_lines, paths["WARC"].open("wb") as archive):
        writer = WARCWriter(archive, gzip=True)
        for number, title, body in replicas(shared, count):
            lines.write(json.dumps({"id": f"r{number}", "title": title, "text": body, "license": LICENSE,
                                    "language": "en"}) + "\n")
            paragraphs = "".join(f"<p>{html_escape.escape(p)}</p>" for p in body.split("\n") if p.strip())
            page = PAGE.format(title=html_escape.escape(title), paragraphs=paragraphs)
            url = f"https://news.example.org/replica/{number}"
            page_lines.write(json.dumps({"url": url, "html": page, "license": LICENSE, "language": "en"}) + "\n")
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(page.encode("utf-8")),
                                                          http_headers=headers))
    return paths


def measure(kind: str, path: Path, workers: int = 1, near: bool = False) -> dict:
    """Run one measurement in a fresh process (this script's `_run`); its seconds, documents and peak memory."""
    command = [sys.executable, __file__, "_run", kind, str(path), str(workers), "near" if near else "exact"]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.splitlines()[-1])


def _run(kind: str, path: str, workers: str, near: str) -> None:
    # Every path imports its libraries before the clock starts: the seconds are the loop's.
    if kind.startswith("ours"):
        import langcodes  # noqa: F401  (ingest's language check loads it on first use)

        if "pages-" in path:
            import trafilatura  # ingest's extraction loads it on first use
        from stance_corpus.corpus.ingest.importer import IngestOptions, ingest
        from stance_corpus.corpus.ingest.records import SourceDefaults

        options = IngestOptions(defaults=SourceDefaults(license=LICENSE, language="en"), workers=int(workers),
                                near_threshold=0.6 if near == "near" else None)
        with tempfile.TemporaryDirectory(dir=Path(path).parent) as project:
            start = time.perf_counter()
            report = ingest([path], Path(project) / "seeds", options)
            seconds = time.perf_counter() - start
        documents = len(report.imported) + report.duplicate_count
    elif kind in ("bare-jsonl", "bare-jsonl-files"):
        import os

        documents = 0
        with tempfile.TemporaryDirectory(dir=Path(path).parent) as folder, open(path, "rb") as handle:
            start = time.perf_counter()
            for line in handle:
                text = json.loads(line)["text"]
                documents += bool(text)
                if kind == "bare-jsonl-files":  # each text to a file of its own, as a seed folder holds them
                    out = os.open(os.path.join(folder, f"{documents}.txt"), os.O_WRONLY | os.O_CREAT | os.O_EXCL)
                    os.write(out, text.encode("utf-8"))
                    os.close(out)
            seconds = time.perf_counter() - start
    else:
        import trafilatura
        from stance_corpus.corpus.ingest.extract import DATE_PARAMETERS
        from warcio.archiveiterator import ArchiveIterator

        metadata = kind.endswith("-metadata")
        # The metadata as ingest takes it: dates from the page's markup only (docs/ingest.md, "Pages").
        dates = DATE_PARAMETERS if metadata else None
        start = time.perf_counter()
        documents = 0
        with open(path, "rb") as handle:
            if kind.startswith("bare-warc"):
                pages = (record.content_stream().read() for record in ArchiveIterator(handle)
                         if record.rec_type == "response")
            else:
                pages = (json.loads(line)["html"] for line in handle)
            for page in pages:
                documents += bool(trafilatura.extract(page, with_metadata=metadata, date_extraction_params=dates))
        seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "documents": documents, "peak_mb": peak}))


# source -> (its bare loop's kind, label): the alternative, the reader + the extractor where there are pages.
BARE = {
    "JSONL": ("bare-jsonl", "bare json.loads loop"),
    "JSONL of pages": ("bare-jsonl-pages", "bare json.loads + trafilatura.extract"),
    "WARC": ("bare-warc", "bare warcio + trafilatura.extract"),
}
ALTERNATIVES = {  # the same loop doing part of what ingest does, to show where the difference goes
    "JSONL": ("bare-jsonl-files", "bare json.loads + each text written to a file"),
    "JSONL of pages": ("bare-jsonl-pages-metadata", "bare json.loads + trafilatura.extract with metadata"),
    "WARC": ("bare-warc-metadata", "bare warcio + trafilatura.extract with metadata (dates from markup)"),
}


def run_scale(shared: Path, sizes: list[int], workers: int, rounds: int) -> None:
    rows = [
        "| source | records | path | seconds | docs/s | peak MB | ratio ours / bare |",
        "|---|--:|---|--:|--:|--:|--:|",
    ]
    notes = []
    with tempfile.TemporaryDirectory() as folder:
        for count in sizes:
            for source, path in write_sources(shared, count, Path(folder)).items():
                bare_kind, bare = BARE[source]
                alternative_kind, alternative = ALTERNATIVES[source]
                plan = [(bare, bare_kind, 1, False), (alternative, alternative_kind, 1, False),
                        ("ours", "ours", 1, False)]
                if count == max(sizes):
                    if source == "JSONL":
                        plan.append(("ours, near duplicates on", "ours", 1, True))
                    plan.append((f"ours --workers {workers}", "ours", workers, False))
                best: dict[str, dict] = {}
                for _ in range(rounds):  # taking turns, so that the load of other jobs falls on every path alike
                    for label, kind, processes, near in plan:
                        run = measure(kind, path, workers=processes, near=near)
                        if label not in best or run["seconds"] < best[label]["seconds"]:
                            best[label] = run
                speeds = {label: run["documents"] / run["seconds"] for label, run in best.items()}
                for label, run in best.items():
                    ratio = f"{speeds[label] / speeds[bare]:.2f}" if label.startswith("ours") else ""
                    rows.append(f"| {source} | {count:,} | {label} | {run['seconds']:.1f} | {speeds[label]:,.0f} "
                                f"| {run['peak_mb']:.0f} | {ratio} |")
                notes.append(f"{source} {count:,}: ours / {alternative}: {speeds['ours'] / speeds[alternative]:.2f}")
                print(*rows[-len(best):], notes[-1], sep="\n", flush=True)
    print(*rows, sep="\n")
    print(*notes, sep="\n")


# -- dates -----------------------------------------------------------------------------------------------------------


def run_dates(shared: Path, listing: bool) -> None:
    from stance_corpus.corpus.ingest.readers import iter_source_records
    from stance_corpus.corpus.ingest.records import article_text, text_date, url_date
    from stance_corpus.corpus.metadata import field_problem

    press = sorted((shared / "corpora" / "re3d-press").glob("*/documents.json"))
    sources = [(path.parent.name, path) for path in press]
    sources.append(("gum-news", shared / "benchmarks" / "segmentation" / "gum_news_dev.jsonl"))
    print("| source | texts | date field | URL path | text opening | no date |")
    print("|---|--:|--:|--:|--:|--:|")
    totals = Counter()
    listed = []
    for name, path in sources:
        counts = Counter()
        for record in iter_source_records([str(path)]):
            text = article_text(record.title, record.text)
            url = record.url if isinstance(record.url, str) and not field_problem("url", record.url) else None
            published = record.published if not field_problem("published", record.published) else None
            if published:
                where, date = "field", published
            elif url and (date := url_date(url)):
                where = "URL"
            elif date := text_date(text):
                where = "text"
            else:
                where, date = "none", None
            counts[where] += 1
            opening = " | ".join(text.split("\n\n")[1:3]).replace("\n", " / ")[:90]
            listed.append(f"{name[:12]:12} {where:5} {date or '-':10} {(url or '')[-40:]:40} {opening}")
        counts["texts"] = sum(counts.values())
        totals.update(counts)
        print(f"| {name} | {counts['texts']} | {counts['field']} | {counts['URL']} | {counts['text']} "
              f"| {counts['none']} |")
    print(f"| all | {totals['texts']} | {totals['field']} | {totals['URL']} | {totals['text']} | {totals['none']} |")
    if listing:
        print(*listed, sep="\n")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_run"]:
        _run(*argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", choices=("html", "scale", "dates"))
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared", help="the shared reference material")
    parser.add_argument("--rounds", type=int, help="runs of each path, taking turns (default: html 3, scale 1)")
    parser.add_argument("--records", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--list", action="store_true", help="dates: every text's date, its origin and opening")
    args = parser.parse_args(argv)
    if args.part == "html":
        run_html(args.shared, args.rounds or 3)
    elif args.part == "dates":
        run_dates(args.shared, args.list)
    else:
        run_scale(args.shared, sorted(args.records), args.workers, args.rounds or 1)


if __name__ == "__main__":
    main()

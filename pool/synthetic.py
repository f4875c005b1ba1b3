"""Synthetic article pools for tests and benchmarks: real sentences recombined into new articles.

The sentences are the body sentences of the shared press statements (`<repo>/../shared/corpora/re3d-press`) and
news texts (`<repo>/../shared/benchmarks/segmentation/gum_news_dev.jsonl`). Each synthetic article takes a headline
of one source and 5-8 paragraphs of 2-5 sentences, most from the same source, with country and actor names swapped
at random, under a fresh id. Two such articles share almost no sentence, so they are not near duplicates of each
other; `duplicate_rate` plants known near duplicates (a wire copy, a changed lead, an appended correction) of
earlier articles, for the pool's MinHash deduplication to find.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from stance_corpus.corpus.schema import Article, SegmentKind
from stance_corpus.corpus.segment import segment_article

RE3D = Path("corpora") / "re3d-press"
GUM = Path("benchmarks") / "segmentation" / "gum_news_dev.jsonl"
RE3D_LICENSES = {
    "us-state-department": "public domain (U.S. government work)",
    "centcom": "public domain (U.S. government work)",
    "uk-government": "OGL-3.0",
    "australian-department-of-foreign-affairs": "CC-BY-3.0-AU",
}
GUM_LICENSE = "CC-BY-2.5 (Wikinews)"
# Swapped both ways, each pair with probability one half per article.
NAME_SWAPS = (
    ("Syria", "Yemen"),
    ("Syrian", "Yemeni"),
    ("Aleppo", "Taiz"),
    ("Damascus", "Sanaa"),
    ("Assad", "Hadi"),
    ("Russia", "Iran"),
    ("Russian", "Iranian"),
    ("Geneva", "Vienna"),
    ("Iraq", "Libya"),
    ("Iraqi", "Libyan"),
    ("Mosul", "Sirte"),
    ("Raqqah", "Derna"),
    ("Kerry", "Johnson"),
    ("Turkey", "Egypt"),
)
CORRECTION = "Correction: an earlier version of this report misstated the date of the meeting."
FIRST_DAY = date(2011, 1, 1)
DAYS = (date(2017, 12, 31) - FIRST_DAY).days


@dataclass(frozen=True)
class SourceText:
    """One text of the shared folder: its publisher, licence, title and body sentences."""

    source: str
    license: str
    title: str
    sentences: tuple[str, ...]


def shared_texts(shared: Path) -> list[SourceText]:
    """The texts of the shared folder, in a fixed order (folder by folder, then file order)."""
    texts: list[SourceText] = []
    for folder in sorted((shared / RE3D).iterdir()):
        if not (folder / "documents.json").is_file():
            continue
        for line in (folder / "documents.json").read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            license = RE3D_LICENSES[folder.name]
            texts.append(_source_text(record["sourceName"], license, record["title"], record["text"]))
    for line in (shared / GUM).read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        title, _, body = record["text"].partition("\n\n")
        texts.append(_source_text("Wikinews", GUM_LICENSE, title, body))
    return texts


def _source_text(source: str, license: str, title: str, text: str) -> SourceText:
    article = Article(id="x", text=f"{title}\n\n{text}", title=title, source=source, published=None, url=None,
                      language="en", license=license)
    sentences = tuple(
        segment.text
        for segment in segment_article(article)
        if segment.kind == SegmentKind.BODY and "\n" not in segment.text
    )
    return SourceText(source, license, title.strip(), sentences)


def synthetic_articles(
    shared: Path, count: int, seed: int = 0, duplicate_rate: float = 0.0, prefix: str = "synth"
) -> tuple[list[dict], dict[str, str]]:
    """`count` article records (catalogue fields plus `text`) and the planted duplicates (id -> id of the original).

    The same arguments give the same articles on every machine."""
    texts = [text for text in shared_texts(shared) if text.sentences]
    rng = random.Random(seed)
    by_source: dict[str, list[str]] = {}
    for text in texts:
        by_source.setdefault(text.source, []).extend(text.sentences)
    everything = [sentence for text in texts for sentence in text.sentences]
    articles: list[dict] = []
    originals: list[int] = []
    planted: dict[str, str] = {}
    for number in range(count):
        article_id = f"{prefix}-{number:07d}"
        if originals and rng.random() < duplicate_rate:
            original = articles[rng.choice(originals)]
            articles.append(_near_duplicate(original, article_id, rng, by_source[original["source"]]))
            planted[article_id] = original["id"]
            continue
        text = rng.choice(texts)
        swaps = _swaps(rng)
        paragraphs = [
            " ".join(
                rng.choice(by_source[text.source]) if rng.random() < 0.7 else rng.choice(everything)
                for _ in range(rng.randint(2, 5))
            )
            for _ in range(rng.randint(5, 8))
        ]
        headline = _swap(text.title, swaps)
        body = _swap("\n\n".join(paragraphs), swaps)
        published = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        articles.append(
            {
                "id": article_id,
                "title": headline,
                "source": text.source,
                "published": published.isoformat(),
                "url": f"https://example.org/{text.source.lower().replace(' ', '-')}/{article_id}",
                "language": "en",
                "license": text.license,
                "text": f"{headline}\n\n{body}\n",
            }
        )
        originals.append(number)
    return articles, planted


def _near_duplicate(original: dict, article_id: str, rng: random.Random, sentences: list[str]) -> dict:
    """A wire copy, a copy with a new lead sentence, or a copy with a correction appended."""
    headline, _, body = original["text"].partition("\n\n")
    variant = rng.randrange(3)
    if variant == 1:
        body = f"{rng.choice(sentences)} {body}"
    elif variant == 2:
        body = f"{body.rstrip()}\n\n{CORRECTION}\n"
    return {**original, "id": article_id, "url": f"{original['url'].rsplit('/', 1)[0]}/{article_id}",
            "text": f"{headline}\n\n{body}"}


def _swaps(rng: random.Random) -> dict[str, str]:
    chosen: dict[str, str] = {}
    for one, other in NAME_SWAPS:
        if rng.random() < 0.5:
            chosen[one], chosen[other] = other, one
    return chosen


_SWAPPED = sorted({name for pair in NAME_SWAPS for name in pair}, key=len, reverse=True)
_NAMES = re.compile(r"\b(" + "|".join(_SWAPPED) + r")\b")


def _swap(text: str, swaps: dict[str, str]) -> str:
    return _NAMES.sub(lambda match: swaps.get(match.group(1), match.group(1)), text) if swaps else text


def write_seed_folder(articles: Iterable[dict], folder: Path) -> Path:
    """A seed folder of the articles: `<id>.txt` files and their catalogue `articles.jsonl`."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "articles.jsonl").open("w", encoding="utf-8") as catalogue:
        for article in articles:
            (folder / f"{article['id']}.txt").write_text(article["text"], encoding="utf-8")
            meta = {name: value for name, value in article.items() if name != "text"}
            catalogue.write(json.dumps(meta, ensure_ascii=False) + "\n")
    return folder


def write_article_jsonl(articles: Iterable[dict], path: Path) -> Path:
    """The articles as JSON lines (catalogue fields plus `text`), the pool's JSONL input."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for article in articles:
            handle.write(json.dumps(article, ensure_ascii=False) + "\n")
    return path


def iter_chunks(items: list, size: int) -> Iterator[list]:
    """`items` in consecutive lists of `size` (the last may be shorter)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]

"""Precision and recall of ingest's near-duplicate detector on wire-style copies of the shared texts.

    .venv/bin/python benchmarks/duplicates.py [--shared ../shared] [--seed 0]

Originals: every text of the shared reference material (the 75 re3d press statements, the 12 GUM news articles,
the 45 article bodies of the extraction benchmark, the seed article). Each original gets five copies of the kind
wire services and aggregators publish, built by a seeded RNG:

    byline      a byline paragraph and a dateline ("BEIRUT (Reuters) — ") before the lead
    lead        the first body paragraph replaced by a rewritten lead
    correction  a trailing correction and a "(Reporting by ...; Editing by ...)" line
    trimmed     another headline ("UPDATE 2-...") and the last paragraph cut
    all         all four at once

A copy is a duplicate of its original and of the other copies; any two texts of different originals are not
(the originals include hard negatives: CENTCOM's daily strike reports share most of their wording).

Two measures for each threshold: over pairs (the signatures' Jaccard estimate of every pair of texts against the
threshold), and the detector as ingest runs it (`DuplicateIndex`, LSH then the estimate, first come first kept, over
all texts in a shuffled order): a dropped text is right when the kept one is a copy of the same original; recall
is over the texts that should be dropped (all but one per original).
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

import numpy
from stance_corpus.corpus.ingest import duplicates
from stance_corpus.corpus.ingest.records import article_text, content_id

REPO = Path(__file__).resolve().parents[1]
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
AGENCIES = ("Reuters", "AP", "AFP", "dpa", "Xinhua", "Anadolu")
CITIES = ("BEIRUT", "GENEVA", "WASHINGTON", "LONDON", "BAGHDAD", "AMMAN", "NEW YORK", "PARIS")
NAMES = ("Laura Smith", "Omar Haddad", "Anne Dupont", "Jens Becker", "Maria Rossi", "Kenji Sato")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


def originals(shared: Path) -> list[str]:
    """The article texts (headline first) of the shared reference material, in a fixed order."""
    texts = []
    for path in sorted((shared / "corpora" / "re3d-press").glob("*/documents.json")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            texts.append(article_text(record["title"], record["text"]))
    gum_news = shared / "benchmarks" / "segmentation" / "gum_news_dev.jsonl"
    for line in gum_news.read_text(encoding="utf-8").splitlines():
        texts.append(article_text(None, json.loads(line)["text"]))
    truth = json.loads((shared / "benchmarks" / "extraction" / "ground-truth.json").read_text(encoding="utf-8"))
    for _, page in sorted(truth.items()):
        texts.append(article_text(None, page["articleBody"]))
    texts.append(article_text(None, (REPO / "seeds" / "000_b923e88ad6c5b85a.txt").read_text(encoding="utf-8")))
    return texts


def copies(text: str, rng: random.Random) -> dict[str, str]:
    """The five wire-style copies of one article text (see the module's docstring)."""
    headline, *body = text.rstrip("\n").split("\n\n")
    body = body or [headline]
    agency, city, name = rng.choice(AGENCIES), rng.choice(CITIES), rng.choice(NAMES)
    weekday = rng.choice(WEEKDAYS)

    def byline(paragraphs: list[str]) -> list[str]:
        return [f"By {name}, {agency}", f"{city} ({agency}) — {paragraphs[0]}", *paragraphs[1:]]

    def lead(paragraphs: list[str]) -> list[str]:
        """The lead sentence rewritten: the first paragraph's first sentence replaced (a one-sentence story keeps
        its sentence after the new lead)."""
        subject = re.sub(r"\s+", " ", headline).rstrip(".")
        new = f"{agency} learned on {weekday} that {subject[:1].lower()}{subject[1:]}, officials said."
        _first, *rest = re.split(r"(?<=[.!?])\s+(?=[A-Z“\"])", paragraphs[0], maxsplit=1)
        if not rest and len(paragraphs) == 1:
            return [new, *paragraphs]
        return [" ".join([new, *rest]), *paragraphs[1:]]

    def correction(paragraphs: list[str]) -> list[str]:
        other = rng.choice([d for d in WEEKDAYS if d != weekday])
        return [
            *paragraphs,
            f"Correction: An earlier version of this story gave the wrong day. It happened on {other}, not {weekday}.",
            f"(Reporting by {name}; Editing by {rng.choice(NAMES)})",
        ]

    def trimmed(paragraphs: list[str]) -> list[str]:
        return paragraphs[:-1] if len(paragraphs) > 2 else paragraphs

    update = f"UPDATE {rng.randint(1, 4)}-{headline}"
    join = "\n\n".join
    return {
        "byline": join([headline, *byline(body)]) + "\n",
        "lead": join([headline, *lead(body)]) + "\n",
        "correction": join([headline, *correction(body)]) + "\n",
        "trimmed": join([update, *trimmed(body)]) + "\n",
        "all": join([update, *correction(trimmed(byline(lead(body))))]) + "\n",
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared", help="the shared reference material")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    texts, clusters, kinds = [], [], []
    for number, text in enumerate(originals(args.shared)):
        texts.append(text)
        clusters.append(number)
        kinds.append("original")
        for kind, copy in copies(text, rng).items():
            texts.append(copy)
            clusters.append(number)
            kinds.append(kind)
    cluster = numpy.array(clusters)
    signatures = [duplicates.signature(text) for text in texts]
    values = numpy.stack([numpy.frombuffer(s, dtype="<u4") for s in signatures])
    estimates = numpy.stack([(values == row).mean(axis=1) for row in values])
    upper = numpy.triu_indices(len(texts), k=1)
    same = (cluster[:, None] == cluster[None, :])[upper]
    pair_estimates = estimates[upper]
    originals_count = len(set(clusters))
    print(f"{len(texts)} texts: {originals_count} originals x (original + 5 copies); "
          f"{int(same.sum()):,} duplicate pairs, {int((~same).sum()):,} other pairs; "
          f"MinHash {duplicates.NUM_PERM} permutations over word {duplicates.SHINGLE_WORDS}-shingles")
    positives = pair_estimates[same]
    for kind in ("byline", "lead", "correction", "trimmed", "all"):
        mask = numpy.array([k == kind for k in kinds])
        to_original = [estimates[i, i - 1 - (["byline", "lead", "correction", "trimmed", "all"].index(kind))]
                       for i in numpy.flatnonzero(mask)]
        print(f"  {kind:10} copy vs its original: median estimate {numpy.median(to_original):.3f}, "
              f"lowest {min(to_original):.3f}")
    hardest = float(pair_estimates[~same].max())
    print(f"  highest estimate between different originals: {hardest:.3f}; lowest between copies of one: "
          f"{float(positives.min()):.3f}")
    order = list(range(len(texts)))
    random.Random(args.seed + 1).shuffle(order)
    should_drop = len(texts) - originals_count
    print("| threshold | pairs P | pairs R | pairs F1 | ingest P | ingest R | ingest F1 | dropped | wrongly dropped |")
    print("|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for threshold in THRESHOLDS:
        flagged = pair_estimates >= threshold
        pair_p = (flagged & same).sum() / max(flagged.sum(), 1)
        pair_r = (flagged & same).sum() / same.sum()
        index = duplicates.DuplicateIndex(threshold)
        dropped = right = 0
        for position in order:
            key = duplicates.content_key(texts[position])
            match = index.find(key, signatures[position])
            if match is None:
                index.keep(content_id(texts[position]) + f"-{position}", str(position), key, signatures[position])
            else:
                dropped += 1
                right += clusters[int(match.kept_origin)] == clusters[position]
        p, r = right / max(dropped, 1), right / should_drop
        print(f"| {threshold:.1f} | {pair_p:.3f} | {pair_r:.3f} | {_f1(pair_p, pair_r):.3f} | {p:.3f} | {r:.3f} "
              f"| {_f1(p, r):.3f} | {dropped} | {dropped - right} |")


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


if __name__ == "__main__":
    main()

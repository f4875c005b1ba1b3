"""A made-up corpus project for the release card, split and baseline tests: articles in every split, two targets,
two annotation passes that disagree on known sentences, and an adjudicator who labels the disagreements.

Every sentence of an article is one of three kinds, with known labels for each target (`TRUTH`); pass
`annotator-1` and gold give the truth, pass `annotator-2` the truth except on the sentences `disagrees` names, and
`annotator-3` (the adjudicator) labels only those, as gold. Plain functions, imported by name.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path

from stance_corpus.corpus import load_articles, segment_article
from stance_corpus.corpus.project import CONFIG_FILE
from stance_corpus.corpus.schema import ANNOTATED_KINDS, GOLD_ANNOTATOR, ActorSpan, Annotation, Segment
from stance_corpus.corpus.store import write_annotations

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "test_release_card"
CONTACT = "stance-corpus maintainers, https://example.org/stance-corpus/issues"
SEED = "card_000"  # like the real seed: no `targets` (the default, syria_peace), a licence that withholds its text
# Article ids by the split their sha256 puts them in (corpus.release.rows.split_of).
TRAIN = ("card_001", "card_002", "card_004", "card_005", "card_006", "card_007", "card_008", "card_009")
VALIDATION = ("card_003", "card_028")
TEST = ("card_019", "card_022")
TARGETS = ("syria_peace", "isil_campaign")
PASSES = ("annotator-1", "annotator-2")
ADJUDICATOR = "annotator-3"
# Sentence kinds: (text with {n}, actor word, stance toward syria_peace, stance toward isil_campaign).
KINDS = (
    ("The UK welcomed the talks in Geneva, statement {n}.", "UK", "FAVOR", "NONE"),
    ("The opposition walked out of the talks, report {n}.", "opposition", "AGAINST", "NONE"),
    ("Coalition aircraft struck Daesh positions near Mosul, strike {n}.", "Coalition", "NONE", "FAVOR"),
    ("The minister met the ambassador on Monday, meeting {n}.", "minister", "NONE", "NONE"),
)
SENTENCES = 8  # body sentences per article
ACTOR_TYPE = {"UK": "GOVERNMENT", "opposition": "OPPOSITION", "Coalition": "GOVERNMENT", "minister": "GOVERNMENT"}
OTHER = {"FAVOR": "NONE", "AGAINST": "NONE", "NONE": "FAVOR"}


def kind_of(article: int, sentence: int) -> int:
    """Which of KINDS the sentence-th body sentence of article number `article` is."""
    return (article + sentence) % len(KINDS)


def disagrees(segment: Segment, target: str) -> bool:
    """Whether annotator-2 gives another stance than the truth: every body sentence whose `n` ends in 3, for
    syria_peace; the second body sentence of each article, for isil_campaign."""
    number = segment.text.rsplit(" ", 1)[-1].rstrip(".")
    if target == "syria_peace":
        return number.endswith("3")
    return number.endswith(".1")


def write_articles(root: Path, articles: Iterable[str]) -> None:
    """The seeds folder: the catalogue and one text per article, all public domain but the seed."""
    seeds = root / "seeds"
    seeds.mkdir(parents=True, exist_ok=True)
    lines = []
    for article_id in articles:
        number = int(article_id.rsplit("_", 1)[1])
        body = [KINDS[kind_of(number, j)][0].format(n=f"{number}.{j}") for j in range(SENTENCES)]
        (seeds / f"{article_id}.txt").write_text(f"Statement {number} on the war\n\n" + "\n\n".join(body) + "\n")
        line = {
            "id": article_id,
            "title": f"Statement {number} on the war",
            "source": "U.S. Department of State (made-up test text)",
            "published": None,
            "url": None,
            "language": "en",
            "license": "LicenseRef-Public-Domain-US-Government",
            "notes": "A made-up text for the tests.",
            "attribution": "Citation of the U.S. State Department as source of the information is appreciated.",
            "targets": list(TARGETS),
        }
        if article_id == SEED:
            del line["targets"]
            line.update(license="unknown: a made-up news report under its publisher's copyright", source=None)
        lines.append(json.dumps(line))
    (seeds / "articles.jsonl").write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def truth(segment: Segment, target: str) -> tuple[str, tuple[ActorSpan, ...]]:
    """The gold stance and actor span of a segment for a target (the heading: NONE, no span)."""
    for text, actor, syria, isil in KINDS:
        prefix = text.split("{n}")[0]
        if segment.text.startswith(prefix):
            stance = syria if target == "syria_peace" else isil
            start = segment.text.index(actor)
            return stance, (ActorSpan(start, start + len(actor), actor, ACTOR_TYPE[actor], None, stance),)
    return "NONE", ()


def write_store(root: Path, labelled: Iterable[str], adjudicator: bool = True) -> None:
    """Gold, the two passes and (optionally) the adjudicator's labels of every annotated segment of the
    `labelled` articles, for each target its article is annotated for."""
    gold, raw = [], []
    articles = {article.id: article for article in load_articles(root / "seeds")}
    for article_id in labelled:
        article = articles[article_id]
        for segment in segment_article(article):
            if segment.kind not in ANNOTATED_KINDS:
                continue
            for target in article.targets or ("syria_peace",):
                stance, spans = truth(segment, target)
                record = {
                    "segment_id": segment.id, "article_id": article_id, "text": segment.text, "target": target
                }
                gold.append(Annotation(**record, annotator=GOLD_ANNOTATOR, stance=stance, actors=spans))
                raw.append(Annotation(**record, annotator=PASSES[0], stance=stance, actors=spans))
                if disagrees(segment, target):
                    raw.append(Annotation(**record, annotator=PASSES[1], stance=OTHER[stance], actors=()))
                    if adjudicator:
                        raw.append(Annotation(**record, annotator=ADJUDICATOR, stance=stance, actors=spans))
                else:
                    raw.append(Annotation(**record, annotator=PASSES[1], stance=stance, actors=spans))
    write_annotations(root / "annotations" / "gold.jsonl", gold)
    write_annotations(root / "annotations" / "annotations.jsonl", raw)


def make_project(root: Path, articles: Iterable[str], labelled: Iterable[str], adjudicator: bool = True) -> Path:
    """The project folder: this repository's config and card (with a contact), the fixture changelog, the
    articles and a store labelling the `labelled` ones."""
    root.mkdir(parents=True, exist_ok=True)
    card = (REPO / "DATASET_CARD.md").read_text(encoding="utf-8")
    (root / "DATASET_CARD.md").write_text(card.replace("  contact: null\n", f"  contact: {CONTACT}\n", 1))
    shutil.copy(DATA / "CHANGELOG.md", root)
    shutil.copy(REPO / CONFIG_FILE, root)
    write_articles(root, articles)
    write_store(root, labelled, adjudicator)
    return root

"""Precision, recall and F1 of the gazetteer (`corpus.actors.find_actor_mentions`) against gold actor spans, with
scoped aliases (the registry as it is) and without (every alias everywhere: the rule before aliases had scopes).

    .venv/bin/python benchmarks/gazetteer.py [--project .] [--store FILE] [--gum PATH] [--gum-gold PATH]

Two gold sets:
- the project's gold store (`--store`, default the project's gold.jsonl): the matcher runs on the text of every
  annotation, with its article's text and its target as the context of scoped aliases;
- five Wikinews articles of GUM (`--gum`, default ../shared/benchmarks/segmentation/gum_news_dev.jsonl) that are
  not about the corpus's topic, with the registry actors they mention marked by hand
  (`--gum-gold`, default benchmarks/data/gum_news_registry_mentions.json); the matcher runs on their heading and
  body segments, each article annotated for the project's default targets.

Spans are compared with the span rules of `corpus.spans`, identified by actor id: `exact` (same offsets and same
actor id) and `overlap` (at least one shared character and the same actor id), each span matched at most once.
Stances are not compared: the gazetteer proposes spans only. The spans without an exact counterpart are listed
(where the aliases fall short).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from stance_corpus.corpus.actors import MentionContext, find_actor_mentions, load_actor_registry
from stance_corpus.corpus.articles import load_articles
from stance_corpus.corpus.errors import StanceCorpusError
from stance_corpus.corpus.project import Project, load_project
from stance_corpus.corpus.schema import ANNOTATED_KINDS, Actor, ActorSpan, Alias, Annotation, Article
from stance_corpus.corpus.segment import segment_article
from stance_corpus.corpus.spans import SpanScores, exact, matching, span_key, span_scores
from stance_corpus.corpus.store import GOLD_FILE, read_annotations

ROOT = Path(__file__).resolve().parents[1]
GUM = ROOT / ".." / "shared" / "benchmarks" / "segmentation" / "gum_news_dev.jsonl"
GUM_GOLD = ROOT / "benchmarks" / "data" / "gum_news_registry_mentions.json"
Pair = tuple[str, list[ActorSpan], list[ActorSpan]]
"""(where, predicted spans, gold spans) of one annotation or document."""


def mention_scores(pairs: Sequence[Pair]) -> dict[str, SpanScores]:
    """Exact and overlap scores of the predicted spans against the gold ones, over every pair."""
    return span_scores(
        ([span_key(g, by="actor_id") for g in gold], [span_key(p, by="actor_id") for p in predicted])
        for _, predicted, gold in pairs
    )


def misses(pairs: Sequence[Pair]) -> list[tuple[str, str, ActorSpan]]:
    """(where, 'extra' or 'missed', span) for every span without an exact counterpart."""
    found = []
    for where, predicted, gold in pairs:
        gold_keys = [span_key(g, by="actor_id") for g in gold]
        matched = matching(gold_keys, [span_key(p, by="actor_id") for p in predicted], exact)
        matched_gold, matched_predicted = {g for g, _ in matched}, {p for _, p in matched}
        found.extend((where, "extra", p) for i, p in enumerate(predicted) if i not in matched_predicted)
        found.extend((where, "missed", g) for i, g in enumerate(gold) if i not in matched_gold)
    return found


def unscoped(registry: Mapping[str, Actor]) -> dict[str, Actor]:
    """The registry with every alias applying everywhere (the matching before aliases had scopes)."""
    return {
        actor_id: dataclasses.replace(actor, aliases=tuple(Alias(alias.text) for alias in actor.aliases))
        for actor_id, actor in registry.items()
    }


def store_pairs(
    annotations: Sequence[Annotation], registry: Mapping[str, Actor], articles: Mapping[str, str]
) -> list[Pair]:
    """The gazetteer's spans of each annotation's text, in its article and for its target, beside the gold spans."""
    return [
        (
            a.segment_id,
            find_actor_mentions(
                a.text, registry, MentionContext(target=a.target, article_text=articles.get(a.article_id, ""))
            ),
            list(a.actors),
        )
        for a in annotations
    ]


def gum_pairs(
    documents: Mapping[str, str], gold: dict, registry: Mapping[str, Actor], project: Project
) -> list[Pair]:
    """Per document: the gazetteer's spans of its heading and body segments (offsets into the document) and the
    hand-marked mentions."""
    pairs = []
    for doc_id in gold["documents"]:
        text = documents[doc_id]
        article = Article(id=doc_id, text=text, title=None, source=None, published=None, url=None, language="en",
                          license="CC BY-NC-SA 4.0")
        predicted = []
        for target_id in project.default_targets:
            context = MentionContext(target=target_id, article_text=text)
            for segment in segment_article(article, project.segmentation):
                if segment.kind in ANNOTATED_KINDS:
                    predicted.extend(
                        dataclasses.replace(span, start=segment.start + span.start, end=segment.start + span.end)
                        for span in find_actor_mentions(segment.text, registry, context)
                    )
        marked = [
            ActorSpan(s["start"], s["end"], s["text"], registry[s["actor_id"]].type, s["actor_id"], "")
            for s in gold["spans"] if s["doc_id"] == doc_id
        ]
        for span in marked:
            if text[span.start : span.end] != span.text:
                raise StanceCorpusError(f"{doc_id}: the gold span {span.text!r} is not at {span.start}..{span.end}")
        pairs.append((doc_id, predicted, marked))
    return pairs


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def report(title: str, pairs_by_rule: Mapping[str, list[Pair]]) -> list[str]:
    """A table of both rules, then the misses of the scoped one."""
    header = f"{'aliases':<22} {'predicted':>9} {'gold':>5} {'match':<8} {'precision':>9} {'recall':>7} {'f1':>6}"
    lines = [title, header]
    for rule, pairs in pairs_by_rule.items():
        for name, score in mention_scores(pairs).items():
            lines.append(
                f"{rule:<22} {score.predicted:>9} {score.reference:>5} {name:<8} {_share(score.precision):>9} "
                f"{_share(score.recall):>7} {_share(score.f1):>6}"
            )
    for where, kind, span in misses(pairs_by_rule["scoped (the registry)"]):
        lines.append(f"{kind:<6} {where} {span.start}..{span.end} {span.text!r} -> {span.actor_id}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=Path(), help="the corpus project (default: this folder)")
    parser.add_argument("--store", type=Path, help="gold store file (default: the project's gold.jsonl)")
    parser.add_argument("--gum", type=Path, default=GUM, help="GUM news documents (JSONL); 'none' to skip")
    parser.add_argument("--gum-gold", type=Path, default=GUM_GOLD, help="hand-marked registry mentions in them")
    args = parser.parse_args(argv)
    try:
        project = load_project(args.project)
        registry = load_actor_registry(project.actors, project.scheme)
        store = args.store or project.store / GOLD_FILE
        annotations = read_annotations(store, project.scheme)
        articles = {article.id: article.text for article in load_articles(project.seeds)}
    except StanceCorpusError as error:
        print(f"gazetteer: error: {error}", file=sys.stderr)
        return 1
    if not annotations:
        print(f"gazetteer: error: {store}: no annotations yet, nothing to score", file=sys.stderr)
        return 1
    rules = {"every alias everywhere": unscoped(registry), "scoped (the registry)": registry}
    print(f"{len(registry)} actors in {project.actors}")
    print("\n".join(report(
        f"gazetteer vs {store}: {len(annotations)} annotations",
        {rule: store_pairs(annotations, actors, articles) for rule, actors in rules.items()},
    )))
    if str(args.gum) != "none":
        if not args.gum.is_file():
            print(f"gazetteer: error: {args.gum}: no such file (--gum none skips it)", file=sys.stderr)
            return 1
        documents = {line["doc_id"]: line["text"] for line in map(json.loads, args.gum.read_text("utf-8").splitlines())}
        gold = json.loads(args.gum_gold.read_text(encoding="utf-8"))
        print()
        print("\n".join(report(
            f"gazetteer vs {args.gum_gold.name}: {len(gold['documents'])} GUM news documents "
            f"({', '.join(gold['documents'])})",
            {rule: gum_pairs(documents, gold, actors, project) for rule, actors in rules.items()},
        )))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Actor baselines on the `actors` / `actor_tags` configs: the registry gazetteer and a learned token classifier.

Both are scored on character spans against the gold mentions of the `actors` config (metrics.span_metrics, the
rules of corpus.spans).
The token classifier is DictVectorizer + LogisticRegression over the features of a token and its neighbours
(+-2 tokens), predicting the BIO tags of `actor_tags`; it is evaluated with the same protocol as the stance models
(held-out test when train has >= MIN_TRAIN_ROWS sentences, else cross-validation over all gold sentences).
"""

from __future__ import annotations

from pathlib import Path

import datasets
import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, KFold
from sklearn.pipeline import Pipeline
from stance_corpus.baselines.metrics import span_metrics
from stance_corpus.baselines.protocol import MAX_FOLDS, MIN_TRAIN_ROWS
from stance_corpus.corpus.actors import MentionContext, find_actor_mentions, load_actor_registry
from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.project import Project
from stance_corpus.corpus.schema import ActorTypeDef, Scheme
from stance_corpus.corpus.spans import Span

ACTOR_CONFIGS = ("sentences", "actors", "actor_tags")
WINDOW = 2


def actor_baseline(dataset: str, registry: Path | None, seed: int, project: Project | None = None) -> dict:
    """Span P/R/F1 of both taggers, or {"skipped": why} for a dataset without the actor configs.

    The gazetteer sees each sentence with its article's text (the `articles` config) and its target, as the
    pre-annotations did; the registry is checked against the project's scheme, or without a project against the
    dataset's own actor types.
    """
    configs = datasets.get_dataset_config_names(dataset)
    if not set(ACTOR_CONFIGS) <= set(configs):
        return {"skipped": f"the dataset has no {' / '.join(ACTOR_CONFIGS)} configs"}
    sentences, gold, tagged, splits = _load(dataset)
    result: dict = {"sentences": len(tagged), "gold_spans": sum(len(spans) for spans in gold.values())}
    order = list(tagged)
    gold_spans = [gold.get(sentence_id, set()) for sentence_id in order]
    if registry is not None and registry.is_file():
        scheme = project.scheme if project is not None else _dataset_scheme(dataset)
        actors = load_actor_registry(registry, scheme)
        contexts = _contexts(dataset, scheme) if "articles" in configs else {}
        predicted = [
            {
                (s.start, s.end, s.type)
                for s in find_actor_mentions(sentences[sentence_id][0], actors, contexts.get(sentence_id))
            }
            for sentence_id in order
        ]
        result["gazetteer"] = {
            "registry": str(registry),
            "evaluated_on": "every gold sentence; annotators started from these pre-annotations, so it is favoured",
            **span_metrics(gold_spans, predicted),
        }
    else:
        result["gazetteer"] = {"skipped": f"no actor registry at {registry}" if registry else "no actor registry"}
    result["token_classifier"] = _token_classifier(order, sentences, gold, tagged, splits, seed)
    return result


def _dataset_scheme(dataset: str) -> Scheme:
    """A scheme of the dataset's own actor types, for a registry used without a project."""
    names = next(iter(datasets.load_dataset(dataset, "actors").values())).features["type"].names
    return Scheme((), tuple(ActorTypeDef(name, "", "", "") for name in names), (), "")


def _contexts(dataset: str, scheme: Scheme) -> dict[str, MentionContext]:
    """sentence id -> its article's text and its target (for scoped aliases); a sentence of several targets takes
    the first (the gazetteer's spans of a sentence are the same for every target that no alias is scoped to)."""
    texts = {row["id"]: row["text"] for rows in datasets.load_dataset(dataset, "articles").values() for row in rows}
    ids = {target.name: target.id for target in scheme.targets}
    contexts: dict[str, MentionContext] = {}
    for rows in datasets.load_dataset(dataset, "sentences").values():
        for row in rows:
            target = row.get("target_id") or ids.get(row.get("target") or "")
            contexts.setdefault(row["id"], MentionContext(target=target, article_text=texts.get(row["article_id"], "")))
    return contexts


def _load(
    dataset: str,
) -> tuple[dict[str, tuple[str, str]], dict[str, set[Span]], dict[str, tuple[list[str], list[str]]], dict[str, str]]:
    """sentence id -> (text, article id); sentence id -> gold spans; sentence id -> (tokens, tags); id -> split."""
    sentences: dict[str, tuple[str, str]] = {}
    gold: dict[str, set[Span]] = {}
    tagged: dict[str, tuple[list[str], list[str]]] = {}
    splits: dict[str, str] = {}
    for split, rows in datasets.load_dataset(dataset, "sentences").items():
        for row in rows:
            sentences[row["id"]] = (row["text"], row["article_id"])
    actors = datasets.load_dataset(dataset, "actors")
    for rows in actors.values():
        type_names = rows.features["type"].names
        for row in rows:
            gold.setdefault(row["sentence_id"], set()).add((row["start"], row["end"], type_names[row["type"]]))
    for split, rows in datasets.load_dataset(dataset, "actor_tags").items():
        tag_names = rows.features["ner_tags"].feature.names
        for row in rows:
            if row["id"] not in sentences:
                raise InputError(f"{dataset} (actor_tags, {split})", f"sentence {row['id']} is not in `sentences`")
            tagged[row["id"]] = (row["tokens"], [tag_names[tag] for tag in row["ner_tags"]])
            splits[row["id"]] = split
    return sentences, gold, tagged, splits


def token_features(tokens: list[str], position: int) -> dict:
    features = {"bias": 1.0}
    for offset in range(-WINDOW, WINDOW + 1):
        at = position + offset
        token = tokens[at] if 0 <= at < len(tokens) else "<pad>"
        features[f"{offset}:lower={token.lower()}"] = 1.0
        features[f"{offset}:shape={_shape(token)}"] = 1.0
        if offset == 0:
            features[f"suffix3={token[-3:].lower()}"] = 1.0
            features[f"prefix3={token[:3].lower()}"] = 1.0
    return features


def _shape(token: str) -> str:
    return "".join("X" if c.isupper() else "x" if c.islower() else "d" if c.isdigit() else c for c in token)[:6]


def _token_classifier(order, sentences, gold, tagged, splits, seed: int) -> dict:
    ids = np.array(order)
    train = np.array([splits[i] == "train" for i in order])
    test = np.array([splits[i] == "test" for i in order])
    if train.sum() >= MIN_TRAIN_ROWS and test.any():
        folds = [(np.flatnonzero(~test), np.flatnonzero(test))]
        how = f"held-out: fitted on {int((~test).sum())} sentences, evaluated on test ({int(test.sum())})"
    else:
        groups = np.array([sentences[i][1] for i in order])
        articles = len(set(groups))
        splitter = (
            GroupKFold(n_splits=min(MAX_FOLDS, articles))
            if articles >= 2
            else KFold(n_splits=min(MAX_FOLDS, len(order)), shuffle=True, random_state=seed)
        )
        folds = list(splitter.split(ids, groups=groups if articles >= 2 else None))
        how = (
            f"cross-validation ({splitter.__class__.__name__}, {splitter.get_n_splits()} folds) over all gold sentences"
        )
    gold_spans, predicted_spans = [], []
    for fit_rows, eval_rows in folds:
        features = [token_features(tagged[i][0], p) for i in ids[fit_rows] for p in range(len(tagged[i][0]))]
        tags = [tag for i in ids[fit_rows] for tag in tagged[i][1]]
        if len(set(tags)) < 2:
            predictions = {i: ["O"] * len(tagged[i][0]) for i in ids[eval_rows]}
        else:
            model = Pipeline(
                [("features", DictVectorizer()), ("classifier", LogisticRegression(max_iter=1000, random_state=seed))]
            ).fit(features, tags)
            predictions = {
                i: list(model.predict([token_features(tagged[i][0], p) for p in range(len(tagged[i][0]))]))
                if tagged[i][0]
                else []
                for i in ids[eval_rows]
            }
        for sentence_id in ids[eval_rows]:
            text = sentences[sentence_id][0]
            gold_spans.append(gold.get(sentence_id, set()))
            predicted_spans.append(bio_spans(text, tagged[sentence_id][0], predictions[sentence_id], sentence_id))
    return {
        "features": f"DictVectorizer of token, shape, affixes within +-{WINDOW} tokens; LogisticRegression",
        "protocol": how,
        **span_metrics(gold_spans, predicted_spans),
    }


def bio_spans(text: str, tokens: list[str], tags: list[str], where: str) -> set[Span]:
    """Character spans of BIO tags; tokens are slices of `text` in order (release.actor_tag_row)."""
    offsets, cursor = [], 0
    for token in tokens:
        start = text.find(token, cursor)
        if start < 0:
            raise InputError(where, f"token {token!r} is not a slice of the sentence text after offset {cursor}")
        offsets.append((start, start + len(token)))
        cursor = start + len(token)
    spans: set[Span] = set()
    current: list | None = None
    for (start, end), tag in zip(offsets, tags):
        prefix, _, kind = tag.partition("-")
        if prefix == "I" and current and current[2] == kind:
            current[1] = end
            continue
        if current:
            spans.add(tuple(current))
        current = [start, end, kind] if prefix in {"B", "I"} else None
    if current:
        spans.add(tuple(current))
    return spans

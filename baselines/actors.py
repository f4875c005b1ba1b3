"""Actor baselines on the `actors` / `actor_tags` configs: two span taggers and an actor-stance classifier.

Span taggers, scored on character spans against the gold mentions of the `actors` config (metrics.span_metrics,
the rules of corpus.spans):
the registry gazetteer, and a token classifier (DictVectorizer + LinearSVC over the features of a token and its
neighbours, +-2 tokens, predicting the BIO tags of `actor_tags`), evaluated with the same protocol as the stance
models (held-out test when train has >= MIN_TRAIN_ROWS sentences, else cross-validation over all gold sentences).
LinearSVC rather than LogisticRegression (lbfgs): the same features, 0.02 s a fit instead of 2 s on the seed
release's 848 tokens, which made the token classifier 18 of the baseline's 26 s.

Actor stance: given a sentence and one actor mention in it, that actor's stance (the per-mention `stance` of the
`actors` config) toward the sentence's target. `actor_stance_data` makes the mentions a StanceData, so the models of
ACTOR_MODELS run through the same protocol, metrics, report and model files as the sentence models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import datasets
import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction import DictVectorizer
from sklearn.model_selection import GroupKFold, KFold
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC
from stance_corpus.baselines.data import (
    GROUP,
    LABEL,
    SPLIT,
    TARGET,
    TEXT,
    Columns,
    StanceData,
    dataset_version,
    load_config,
)
from stance_corpus.baselines.features import ACTOR_TYPE, LEFT, RIGHT, SPAN, ActorFeatures, actor_context
from stance_corpus.baselines.metrics import span_metrics
from stance_corpus.baselines.models import ModelOptions, ModelSpec
from stance_corpus.baselines.protocol import MAX_FOLDS, MIN_TRAIN_ROWS
from stance_corpus.corpus.actors import MentionContext, find_actor_mentions, load_actor_registry
from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.release.card import DEFAULT_CONFIG
from stance_corpus.corpus.schema import ActorTypeDef, Scheme, Target
from stance_corpus.corpus.spans import Span

WINDOW = 2


def _actor_svm(options: ModelOptions, seed: int) -> Pipeline:
    return Pipeline(
        [("features", ActorFeatures()), ("classifier", LinearSVC(class_weight="balanced", random_state=seed))]
    )


ACTOR_MODELS: dict[str, ModelSpec] = {
    "majority": ModelSpec(lambda options, seed: Pipeline([("classifier", DummyClassifier(strategy="most_frequent"))])),
    "tfidf-svm": ModelSpec(_actor_svm, c_params=lambda c, rows: {"C": c}),
}


@dataclass(frozen=True)
class ActorData:
    """The actor configs of a dataset, by sentence id, and its mentions as one table."""

    sentences: dict[str, tuple[str, str]]  # sentence id -> (text, article id)
    gold: dict[str, set[Span]]  # sentence id -> gold spans
    tagged: dict[str, tuple[list[str], list[str]]]  # sentence id -> (tokens, BIO tags)
    splits: dict[str, str]  # sentence id -> split
    mentions: pd.DataFrame  # one row per gold mention: TEXT, SPAN, LEFT, RIGHT, ACTOR_TYPE, (TARGET), LABEL, ...
    stance_labels: tuple[str, ...]
    with_target: bool
    # For the gazetteer's scoped aliases: sentence id -> the (target id, target) of its first row; article id ->
    # its text (the `articles` config, where the dataset has one); the actor types, in ClassLabel order.
    sentence_targets: dict[str, tuple[str, str]] = field(default_factory=dict)
    article_texts: dict[str, str] = field(default_factory=dict)
    actor_types: tuple[str, ...] = ()


def load_actor_data(dataset: str) -> ActorData:
    """The three actor configs of `dataset` (a stance-corpus release), and its `articles` config's texts."""
    sentences: dict[str, tuple[str, str]] = {}
    targets: dict[str, str] = {}
    sentence_targets: dict[str, tuple[str, str]] = {}
    gold: dict[str, set[Span]] = {}
    tagged: dict[str, tuple[list[str], list[str]]] = {}
    splits: dict[str, str] = {}
    with_target = False
    for rows in load_config(dataset, DEFAULT_CONFIG).values():
        with_target = TARGET in rows.features
        for row in rows:
            if row["text"] is None:  # withheld in a publishable release: nothing to tag or classify
                continue
            sentences[row["id"]] = (row["text"], row["article_id"])
            targets[row["id"]] = row.get(TARGET) or ""
            sentence_targets.setdefault(row["id"], (row.get("target_id") or "", row.get(TARGET) or ""))
    mentions = []
    stance_labels: tuple[str, ...] = ()
    type_names: list[str] = []
    for split, rows in load_config(dataset, "actors").items():
        type_names = rows.features["type"].names
        stance_labels = tuple(rows.features["stance"].names)
        for row in rows:
            if row["sentence_id"] not in sentences:
                continue
            type_name = type_names[row["type"]]
            gold.setdefault(row["sentence_id"], set()).add((row["start"], row["end"], type_name))
            if row["stance"] < 0:
                continue
            span, left, right = actor_context(row["sentence"], row["start"], row["end"])
            mentions.append(
                {
                    TEXT: row["sentence"],
                    SPAN: span,
                    LEFT: left,
                    RIGHT: right,
                    ACTOR_TYPE: type_name,
                    TARGET: targets.get(row["sentence_id"], ""),
                    LABEL: stance_labels[row["stance"]],
                    GROUP: row["article_id"],
                    SPLIT: split,
                }
            )
    for split, rows in load_config(dataset, "actor_tags").items():
        tag_names = rows.features["ner_tags"].feature.names
        for row in rows:
            if row["tokens"] is None:
                continue
            if row["id"] not in sentences:
                raise InputError(f"{dataset} (actor_tags, {split})", f"sentence {row['id']} is not in `sentences`")
            tagged[row["id"]] = (row["tokens"], [tag_names[tag] for tag in row["ner_tags"]])
            splits[row["id"]] = split
    columns = [TEXT, SPAN, LEFT, RIGHT, ACTOR_TYPE, TARGET, LABEL, GROUP, SPLIT]
    article_texts = (
        {row["id"]: row["text"] or "" for rows in load_config(dataset, "articles").values() for row in rows}
        if "articles" in datasets.get_dataset_config_names(dataset)
        else {}
    )
    return ActorData(
        sentences,
        gold,
        tagged,
        splits,
        pd.DataFrame(mentions, columns=columns),
        stance_labels,
        with_target,
        sentence_targets,
        article_texts,
        tuple(type_names),
    )


def actor_stance_data(dataset: str, actors: ActorData) -> StanceData | None:
    """The gold mentions as a StanceData for the stance models of ACTOR_MODELS; None with fewer than two classes."""
    frame = actors.mentions if actors.with_target else actors.mentions.drop(columns=[TARGET])
    if frame[LABEL].nunique() < 2:
        return None
    return StanceData(
        name=dataset,
        version=dataset_version(Path(dataset), frame),
        config="actors",
        frame=frame,
        labels=actors.stance_labels,
        with_target=actors.with_target,
        columns=Columns(text="sentence", label="stance", target=TARGET if actors.with_target else None),
    )


def gazetteer_spans(actors: ActorData, registry: Path | None, scheme: Scheme | None = None) -> dict[str, object]:
    """Span P/R/F1 of the registry gazetteer over every gold sentence, or {"skipped": why}.

    The gazetteer sees each sentence with its article's text and its target, as the pre-annotations did (a sentence
    of several targets: its first; its spans differ only where an alias is scoped to a target). The registry is read
    with the project's `scheme`, or without one with the dataset's own actor types and targets.
    """
    if registry is None or not registry.is_file():
        return {"skipped": f"no actor registry at {registry}" if registry else "no actor registry"}
    scheme = scheme or _dataset_scheme(actors)
    ids = {target.name: target.id for target in scheme.targets}
    order = list(actors.tagged)
    registry_actors = load_actor_registry(registry, scheme)

    def context(sentence_id: str) -> MentionContext:
        target_id, target = actors.sentence_targets.get(sentence_id, ("", ""))
        article = actors.article_texts.get(actors.sentences[sentence_id][1], "")
        return MentionContext(target=target_id or ids.get(target), article_text=article)

    predicted = [
        {(s.start, s.end, s.type) for s in find_actor_mentions(actors.sentences[i][0], registry_actors, context(i))}
        for i in order
    ]
    return {
        "registry": str(registry),
        "evaluated_on": "every gold sentence; annotators started from these pre-annotations, so it is favoured",
        **span_metrics([actors.gold.get(i, set()) for i in order], predicted),
    }


def _dataset_scheme(actors: ActorData) -> Scheme:
    """The dataset's own actor types and targets, to read a registry given without a project."""
    targets = {target_id: name for target_id, name in actors.sentence_targets.values() if target_id}
    return Scheme(
        (),
        tuple(ActorTypeDef(name, "", "", "") for name in actors.actor_types),
        tuple(Target(target_id, name, "", None, "") for target_id, name in targets.items()),
        "",
    )


def token_features(tokens: list[str], position: int) -> dict[str, float]:
    """The features of one token for the token classifier: word, shape and affixes of it and its neighbours."""
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


def token_classifier_spans(actors: ActorData, seed: int) -> dict[str, object]:
    """Span P/R/F1 of the token classifier under the actor protocol (module docstring)."""
    order = list(actors.tagged)
    tagged, sentences = actors.tagged, actors.sentences
    ids = np.array(order)
    train = np.array([actors.splits[i] == "train" for i in order])
    test = np.array([actors.splits[i] == "test" for i in order])
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
            vectorizer = DictVectorizer()
            model = LinearSVC(random_state=seed).fit(_int32(vectorizer.fit_transform(features)), tags)
            predictions = {i: _tags(model, vectorizer, tagged[i][0]) for i in ids[eval_rows]}
        for sentence_id in ids[eval_rows]:
            text = sentences[sentence_id][0]
            gold_spans.append(actors.gold.get(sentence_id, set()))
            predicted_spans.append(bio_spans(text, tagged[sentence_id][0], predictions[sentence_id], sentence_id))
    return {
        "features": f"DictVectorizer of token, shape, affixes within +-{WINDOW} tokens; LinearSVC",
        "protocol": how,
        **span_metrics(gold_spans, predicted_spans),
    }


def _tags(model: LinearSVC, vectorizer: DictVectorizer, tokens: list[str]) -> list[str]:
    if not tokens:
        return []
    return [
        str(tag)
        for tag in model.predict(_int32(vectorizer.transform([token_features(tokens, p) for p in range(len(tokens))])))
    ]


def _int32(matrix: sp.spmatrix) -> sp.csr_matrix:
    """DictVectorizer's CSR matrix with 32-bit indices, the only kind liblinear (LinearSVC) accepts."""
    matrix = sp.csr_matrix(matrix)
    matrix.indices, matrix.indptr = matrix.indices.astype(np.int32), matrix.indptr.astype(np.int32)
    return matrix


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

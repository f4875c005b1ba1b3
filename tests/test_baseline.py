"""Stance and actor baselines end to end through the CLI, on datasets loaded with the real `datasets.load_dataset`."""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import matplotlib.image
import pandas as pd
from corpus_fixture import SEED as FIXTURE_SEED
from corpus_fixture import TARGETS as FIXTURE_TARGETS
from corpus_fixture import TEST as FIXTURE_TEST
from corpus_fixture import TRAIN as FIXTURE_TRAIN
from corpus_fixture import VALIDATION as FIXTURE_VALIDATION
from corpus_fixture import make_project as make_fixture_project
from corpus_fixture import truth as fixture_truth
from helpers import STANCE_LABELS, separable_rows, write_dataset
from stance_corpus.baselines.cli import NORMALIZATIONS, TARGET_HANDLING
from stance_corpus.baselines.features import NORMALIZATIONS as FEATURE_NORMALIZATIONS
from stance_corpus.baselines.features import TARGET_MODES, HashtagSplitter
from stance_corpus.baselines.metrics import bootstrap_unit, stance_metrics
from stance_corpus.baselines.models import AUTO, TARGET_PREFERENCE
from stance_corpus.baselines.predict import load_model
from stance_corpus.corpus import load_articles, segment_article
from stance_corpus.corpus.actors import MentionContext, find_actor_mentions, load_actor_registry
from stance_corpus.corpus.project import load_project
from stance_corpus.corpus.release.build import build_release
from stance_corpus.corpus.schema import ANNOTATED_KINDS, GOLD_ANNOTATOR, Annotation
from stance_corpus.corpus.store import read_annotations, write_annotations

from stance_corpus.cli import main

REPO = Path(__file__).resolve().parents[1]
SEED_PROJECT = Path(__file__).parent / "data" / "seed_project"
DATA = Path(__file__).parent / "data" / "test_baseline"
FIXTURE_ARTICLES = (FIXTURE_SEED, *FIXTURE_TRAIN, *FIXTURE_VALIDATION, *FIXTURE_TEST)


def run_baseline(*argv: str | Path) -> dict:
    assert main(["baseline", *map(str, argv)]) == 0
    out = Path(argv[argv.index("--out") + 1])
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def test_separable_toy_set_reaches_f1_one_and_writes_a_complete_report(tmp_path: Path) -> None:
    dataset = write_dataset(tmp_path / "toy", {"train": separable_rows(45, articles=3)})
    out = tmp_path / "report"
    report = run_baseline(dataset, "--out", out)

    assert report["protocol"]["kind"] == "cross-validation"
    assert "GroupKFold by article, 3 folds" in report["protocol"]["description"]
    assert report["dataset"]["split_sizes"] == {"train": 45}
    for model in ("tfidf-logreg", "tfidf-svm"):
        metrics = report["models"][model]["metrics"]
        assert metrics["macro_f1"]["value"] == 1.0
        assert metrics["f_avg"]["value"] == 1.0
        assert metrics["macro_f1"]["ci95"] == [1.0, 1.0]
    # 15 rows of each class: always predicting one class gives F1 = 2 * (1/3) / (1 + 1/3) = 0.5 for it, 0 for others.
    assert report["models"]["majority"]["metrics"]["macro_f1"]["value"] == pytest.approx(0.5 / 3)
    assert report["models"]["majority"]["metrics"]["accuracy"]["value"] == pytest.approx(1 / 3)

    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "| tfidf-logreg | 1.000 [1.000, 1.000] |" in markdown
    for plot in report["plots"]:
        assert matplotlib.image.imread(out / plot).shape[2] in (3, 4)
    assert report["plots"] == [
        *(f"confusion_{model}.png" for model in report["models"]), "label_distribution.png", "learning_curve.png",
    ]
    for model in report["models"].values():
        assert (out / model["model_file"]).is_file()
        assert report["dataset"]["version"] in model["model_file"]


def test_same_seed_gives_identical_reports(tmp_path: Path) -> None:
    dataset = write_dataset(tmp_path / "toy", {"train": separable_rows(30, articles=1)})
    first = run_baseline(dataset, "--out", tmp_path / "first", "--seed", "3")
    second = run_baseline(dataset, "--out", tmp_path / "second", "--seed", "3")
    assert first == second
    assert (tmp_path / "first" / "report.md").read_bytes() == (tmp_path / "second" / "report.md").read_bytes()
    assert "StratifiedKFold, 5 folds" in first["protocol"]["description"]


def test_text_without_signal_is_no_more_accurate_than_the_majority_baseline(tmp_path: Path) -> None:
    """Identical texts: every fold's model sees one input, so it predicts one class and can be right at most as often
    as the fold's majority class. (Macro-F1 is no floor here: with balanced class weights a model may predict the
    minority class, and a 2:1 class split gives macro-F1 0.4 to the majority and up to 0.5 to other guesses.)"""
    rows = [
        {
            "text": "The talks went on.",
            "stance": STANCE_LABELS.index("AGAINST" if n % 3 else "FAVOR"),
            "target": "the plan",
            "article_id": "a",
        }
        for n in range(30)
    ]
    report = run_baseline(write_dataset(tmp_path / "constant", {"train": rows}), "--out", tmp_path / "out")
    majority = report["models"]["majority"]["metrics"]
    # 20 AGAINST, 10 FAVOR: always AGAINST is right 2/3 of the time; F1(AGAINST) = 0.8, F1(FAVOR) = 0.
    assert majority["accuracy"]["value"] == pytest.approx(2 / 3)
    assert majority["macro_f1"]["value"] == pytest.approx(0.4)
    assert majority["f_avg"]["value"] == pytest.approx(0.4)
    for model in ("tfidf-logreg", "tfidf-svm"):
        assert report["models"][model]["metrics"]["accuracy"]["value"] <= majority["accuracy"]["value"]


def test_held_out_split_string_labels_and_predict(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = write_dataset(
        tmp_path / "split",
        {
            "train": separable_rows(120, articles=6, class_label=False),
            "test": separable_rows(30, articles=2, class_label=False, start=500),
        },
        class_label=False,
    )
    out = tmp_path / "report"
    report = run_baseline(dataset, "--out", out)
    assert report["protocol"]["kind"] == "held-out"
    assert report["protocol"]["evaluated_rows"] == 30
    assert report["models"]["tfidf-logreg"]["metrics"]["macro_f1"]["value"] == 1.0
    assert report["dataset"]["labels"] == ["AGAINST", "FAVOR", "NONE"]
    assert report["bootstrap"]["over"] == "articles (2, each taken whole)"
    assert report["models"]["tfidf-logreg"]["selection"]["cv"] == "StratifiedGroupKFold by article"

    sentences = tmp_path / "sentences.jsonl"
    lines = [
        {"id": "s1", "text": "The minister condemned the plan for district 4.", "kind": "body", "target": "the plan"},
        {"id": "s2", "text": "Exit mobile version", "kind": "boilerplate", "target": "the plan"},
        {"id": "s3", "text": "The minister welcomed the plan.", "kind": "body", "target": "the plan"},
        {"id": "s4", "text": "On day 2 nothing happened."},  # no target: the model's only target is used
    ]
    sentences.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    model_file = out / report["models"]["tfidf-logreg"]["model_file"]
    predictions_file = tmp_path / "predictions.jsonl"
    assert main(["predict", str(model_file), str(sentences), "--out", str(predictions_file)]) == 0
    predictions = [json.loads(line) for line in predictions_file.read_text(encoding="utf-8").splitlines()]

    assert {p["segment_id"] for p in predictions} == {"s1", "s3", "s4"}  # boilerplate is never annotated
    by_id = {p["segment_id"]: p for p in predictions}
    assert by_id["s1"]["label"] == "AGAINST" and by_id["s3"]["label"] == "FAVOR"
    assert [p["uncertainty"] for p in predictions] == sorted((p["uncertainty"] for p in predictions), reverse=True)
    assert predictions[0]["segment_id"] == "s4"  # no cue word: the least certain
    assert all(p["model_version"] == f"tfidf-logreg@{report['dataset']['version']}" for p in predictions)
    assert all(set(p["scores"]) == {"AGAINST", "FAVOR", "NONE"} for p in predictions)
    assert sum(by_id["s1"]["scores"].values()) == pytest.approx(1.0, abs=1e-5)  # scores are rounded to 6 places

    capsys.readouterr()
    assert main(["predict", str(model_file), str(tmp_path)]) == 1  # a folder where the sentences file belongs
    assert capsys.readouterr().err == f"stance-corpus: error: {tmp_path}: cannot be read: Is a directory\n"

    # From stdin, the same reader as for files: the same predictions, and errors with the stdin line number.
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(sentences.read_bytes())))
    assert main(["predict", str(model_file)]) == 0
    assert [json.loads(line) for line in capsys.readouterr().out.splitlines()] == predictions
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"text": "Fine."}\n\n{"text": \xff}\n')))
    assert main(["predict", str(model_file)]) == 1
    assert capsys.readouterr().err == (
        "stance-corpus: error: <stdin>:3: is not valid UTF-8 (byte 0xff at byte 10 of the line)\n"
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--text-column", "body"],
            "no column 'body' (--text-column); its columns are: text, stance, target, article_id",
        ),
        (["--label-column", "polarity"], "no column 'polarity' (--label-column)"),
        (["--target-column", "topic"], "no column 'topic' (--target-column)"),
        (["--config", "tweets"], "has no config 'tweets'"),
    ],
)
def test_unknown_columns_and_configs_are_clear_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture, options: list[str], message: str
) -> None:
    dataset = write_dataset(tmp_path / "toy", {"train": separable_rows(9, articles=1)})
    assert main(["baseline", dataset, "--out", str(tmp_path / "out"), *options]) == 1
    error = capsys.readouterr().err
    assert error.startswith("stance-corpus: error: ") and message in error
    assert len(error.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_a_dataset_with_one_class_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    rows = [dict(row, stance=0) for row in separable_rows(9, articles=1)]
    dataset = write_dataset(tmp_path / "one", {"train": rows})
    assert main(["baseline", dataset, "--out", str(tmp_path / "out")]) == 1
    error = capsys.readouterr().err.strip()
    assert error == (
        f"stance-corpus: error: {dataset} (default): column 'stance' has only the class 'FAVOR': "
        "a stance baseline needs at least two classes"
    )
    assert not (tmp_path / "out").exists()


def test_confidence_intervals_resample_whole_articles() -> None:
    # 10 articles of 20 sentences; the model is right on every sentence of 5 articles and wrong on every one of the
    # others. Resampling sentences one by one would pretend that 200 independent trials landed at 0.5.
    gold = ["FAVOR", "AGAINST"] * 100
    flipped = {"FAVOR": "AGAINST", "AGAINST": "FAVOR"}
    predicted = [label if row < 100 else flipped[label] for row, label in enumerate(gold)]
    articles = [f"article-{row // 20}" for row in range(200)]
    labels = ["AGAINST", "FAVOR", "NONE"]
    by_article = stance_metrics(gold, predicted, labels, 0, articles).accuracy
    by_sentence = stance_metrics(gold, predicted, labels, 0, ["one article"] * 200).accuracy
    assert by_article.value == by_sentence.value == 0.5
    width = {name: high - low for name, (low, high) in (("article", by_article.ci95), ("row", by_sentence.ci95))}
    assert width["article"] > 3 * width["row"]
    assert bootstrap_unit(articles) == "articles (10, each taken whole)"


def test_predict_refuses_a_file_that_is_not_a_model(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bogus = tmp_path / "model.skops"
    bogus.write_text("not a model", encoding="utf-8")
    assert main(["predict", str(bogus)]) == 1
    assert capsys.readouterr().err.startswith(f"stance-corpus: error: {bogus}: not a skops model file")


def make_release_project(root: Path) -> Path:
    """The seed project fixture, a fixture changelog, and a gold store: stance FAVOR/AGAINST/NONE in turn over the
    annotated sentences, actor spans exactly the registry gazetteer's matches, each actor's stance its sentence's
    for the first mention and NONE for the others."""
    shutil.copytree(SEED_PROJECT, root)
    shutil.copy(DATA / "CHANGELOG.md", root)
    project = load_project(root)
    registry = load_actor_registry(project.actors, project.scheme)
    (article,) = load_articles(project.seeds)
    context = MentionContext(target="syria_peace", article_text=article.text)
    segments = [s for s in segment_article(article) if s.kind in ANNOTATED_KINDS]
    gold = [
        Annotation(
            segment_id=segment.id,
            article_id=segment.article_id,
            text=segment.text,
            target="syria_peace",
            annotator=GOLD_ANNOTATOR,
            stance=STANCE_LABELS[number % 3],
            actors=tuple(
                replace(span, stance=STANCE_LABELS[number % 3] if position == 0 else "NONE")
                for position, span in enumerate(find_actor_mentions(segment.text, registry, context))
            ),
        )
        for number, segment in enumerate(segments)
    ]
    write_annotations(project.store / "gold.jsonl", gold)
    return root


@pytest.mark.slow
def test_baseline_of_the_release_built_from_the_seed_corpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    root = make_release_project(tmp_path / "project")
    build_release(load_project(root))
    monkeypatch.chdir(root)
    assert main(["baseline"]) == 0  # default: the current release, report under reports/<version>
    out, err = capsys.readouterr()
    assert "reports/1.0.0/report.md" in out
    report = json.loads((root / "reports" / "1.0.0" / "report.json").read_text(encoding="utf-8"))

    assert report["dataset"]["version"] == "1.0.0"
    assert report["dataset"]["config"] == "sentences"
    assert report["protocol"]["kind"] == "cross-validation"
    assert "StratifiedKFold" in report["protocol"]["description"]
    assert report["protocol"]["evaluated_rows"] == sum(report["dataset"]["split_sizes"].values())
    actors = report["actors"]
    gold = read_annotations(root / "annotations" / "gold.jsonl", load_project(root).scheme)
    spans = sum(len(annotation.actors) for annotation in gold)
    assert actors["gold_spans"] == spans
    # The gold spans are the gazetteer's own matches, so it must find exactly them.
    assert actors["gazetteer"]["exact"] == {
        "matches": spans, "reference": spans, "predicted": spans, "precision": 1.0, "recall": 1.0, "f1": 1.0,
    }
    # Every gold sentence is predicted once (cross-validation): the classifier is scored against all the gold spans.
    classifier = actors["token_classifier"]["overlap"]
    assert classifier["reference"] == spans
    assert classifier["f1"] == 2 * classifier["matches"] / (spans + classifier["predicted"])
    assert actors["token_classifier"]["gold_spans"] == spans

    # Actor stance: one row per gold mention, the first of each sentence carrying the sentence's stance.
    stance = actors["stance"]
    assert stance["task"] == "actor-stance"
    assert stance["protocol"]["evaluated_rows"] == actors["gold_spans"]
    assert stance["protocol"]["evaluated_rows"] == spans
    mention_stances = Counter(span.stance for annotation in gold for span in annotation.actors)
    assert stance["dataset"]["label_counts"]["train"] == {label: mention_stances[label] for label in STANCE_LABELS}
    counts = stance["dataset"]["label_counts"]["train"]
    majority = stance["models"]["majority"]["metrics"]
    assert majority["accuracy"]["value"] == pytest.approx(counts["NONE"] / actors["gold_spans"])
    assert majority["f_avg"]["value"] == 0.0
    for model in stance["models"].values():
        assert (root / "reports" / "1.0.0" / model["model_file"]).is_file()
    markdown = (root / "reports" / "1.0.0" / "report.md").read_text(encoding="utf-8")
    assert "## Actor spans" in markdown and "## Actor stance" in markdown
    assert (root / "reports" / "1.0.0" / "models" / "tfidf-logreg-1.0.0.skops").is_file()
    actor_model = root / "reports" / "1.0.0" / "models" / "actor-stance-tfidf-svm-1.0.0.skops"
    assert main(["predict", str(actor_model), str(root / "annotations" / "gold.jsonl")]) == 1
    assert capsys.readouterr().err == (
        f"stance-corpus: error: {actor_model}: an actor-stance model: predict labels sentences, give a "
        "sentence-stance model\n"
    )

    # One progress bar over every stage, named, that ends at 100% with the last stage done.
    stages = [update.strip() for update in err.replace("\r", "\n").splitlines() if update.startswith("baseline: ")]
    for name in (
        "import scikit-learn",
        "sentence-stance tfidf-svm",
        "learning curve",
        "actor spans: token classifier",
        "actor-stance tfidf-svm",
        "plots",
        "model file models/actor-stance-tfidf-svm-1.0.0.skops",
        "report.json, report.md",
    ):
        assert any(update.startswith(f"baseline: {name}") for update in stages), name
    total = 1 + 2 * 4 + 1 + 1 + 1 + 3 + 2 * 2  # imports, models and files, curve, plots, report, actor stages
    assert stages[-1].startswith("baseline: done: 100%") and f" {total}/{total} " in stages[-1]


FLIPPED_CUES = {
    "Target A": {"welcomed": "FAVOR", "condemned": "AGAINST"},
    "Target B": {"welcomed": "AGAINST", "condemned": "FAVOR"},
}


def flipped_cue_rows(count: int, start: int = 0) -> list[dict]:
    """`count` texts, half with each cue word, each text under both targets: the cue that means FAVOR for Target A
    means AGAINST for Target B, and nothing else in a text tells the classes apart."""
    rows = []
    for number in range(start, start + count):
        cue = ("welcomed", "condemned")[number % 2]
        text = f"On day {number} the council {cue} the proposal for district {number * 7 % 31}."
        for target, meaning in FLIPPED_CUES.items():
            rows.append(
                {
                    "text": text,
                    "stance": STANCE_LABELS.index(meaning[cue]),
                    "target": target,
                    "article_id": f"article-{number // 4}",
                }
            )
    return rows


def test_per_target_models_learn_a_cue_word_that_flips_its_label_between_targets(tmp_path: Path) -> None:
    """Why the pooled model must fail here: its FAVOR-minus-AGAINST score of a row is u(text) + v(target), text
    features and a one-hot target added. Take a 'welcomed' text x and a 'condemned' text y: getting (x, A) FAVOR,
    (y, B) FAVOR, (y, A) AGAINST and (x, B) AGAINST all right needs u(x) + v(A) + u(y) + v(B) to be both > 0 (the
    first two) and < 0 (the last two). So every such quadruple of the validation split has an error, and the
    pooled accuracy is at most 3/4, whatever the weights. Per target the cue alone separates the classes.

    With a train and a validation split and no test split, the validation split is the held-out one."""
    dataset = write_dataset(
        tmp_path / "flipped", {"train": flipped_cue_rows(60), "validation": flipped_cue_rows(20, start=500)}
    )
    pooled = run_baseline(dataset, "--out", tmp_path / "pooled", "--target-handling", "pooled")
    per_target = run_baseline(dataset, "--out", tmp_path / "per-target", "--target-handling", "per-target")
    chosen = run_baseline(dataset, "--out", tmp_path / "auto")

    for report in (pooled, per_target, chosen):
        assert report["protocol"]["evaluated_split"] == "validation"
        assert report["protocol"]["evaluated_rows"] == 40
        assert "the dataset has no test split, so validation is the held-out split" in report["protocol"]["description"]
        assert report["dataset"]["targets"] == ["Target A", "Target B"]
    for model in ("tfidf-logreg", "tfidf-svm"):
        assert pooled["models"][model]["target_mode"] == "pooled"
        assert pooled["models"][model]["metrics"]["accuracy"]["value"] <= 0.75
        assert per_target["models"][model]["target_mode"] == "per-target"
        assert per_target["models"][model]["metrics"]["f_avg"]["value"] == 1.0
        assert chosen["models"][model]["target_mode"] == "augmented"
        assert chosen["models"][model]["metrics"]["f_avg"]["value"] == 1.0
        for target in FLIPPED_CUES:
            assert per_target["models"][model]["per_target"][target]["f_avg"]["value"] == 1.0
            assert per_target["models"][model]["per_target"][target]["rows"] == 20
        scores = chosen["models"][model]["selection"]["mean_scores"]
        assert max(scores["augmented"]) == max(scores["per-target"]) == 1.0
    markdown = (tmp_path / "auto" / "report.md").read_text(encoding="utf-8")
    assert "`tfidf-svm`: **augmented** won" in markdown
    assert "**All targets pooled**: 40 rows of the validation split, held out." in markdown
    for target in FLIPPED_CUES:
        assert f"**Target: {target}**: 20 rows of the validation split, held out" in markdown


def test_a_per_target_model_refuses_an_unknown_target_and_predict_refuses_actor_models(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    dataset = write_dataset(tmp_path / "flipped", {"train": flipped_cue_rows(60)})
    report = run_baseline(dataset, "--out", tmp_path / "out", "--target-handling", "per-target")
    model_file = tmp_path / "out" / report["models"]["tfidf-svm"]["model_file"]
    sentences = tmp_path / "sentences.jsonl"
    lines = [
        {"id": "s1", "text": "The council welcomed the proposal.", "target": "Target B"},
        {"id": "s2", "text": "The council condemned the proposal.", "target": "Target A"},
    ]
    sentences.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    predictions_file = tmp_path / "predictions.jsonl"
    assert main(["predict", str(model_file), str(sentences), "--out", str(predictions_file)]) == 0
    labels = {json.loads(line)["segment_id"]: json.loads(line)["label"] for line in predictions_file.open()}
    assert labels == {"s1": "AGAINST", "s2": "AGAINST"}

    sentences.write_text(json.dumps({"text": "The council met.", "target": "Target A"}) + "\n", "utf-8")
    capsys.readouterr()
    assert main(["predict", str(model_file), str(sentences)]) == 1
    assert capsys.readouterr().err == (
        f"stance-corpus: error: {sentences}:1: needs an 'id' (the segment id, as `stance-corpus segment` writes on "
        "every line)\n"
    )

    sentences.write_text(json.dumps({"id": "s3", "text": "The council met.", "target": "Target C"}) + "\n", "utf-8")
    capsys.readouterr()
    assert main(["predict", str(model_file), str(sentences)]) == 1
    assert capsys.readouterr().err == (
        f"stance-corpus: error: {sentences}:1: target 'Target C': this per-target model knows only "
        "Target A, Target B\n"
    )


def test_hashtags_split_into_words_and_survive_the_model_file(tmp_path: Path) -> None:
    splitter = HashtagSplitter(["Pro life and pro choice", "life is #NotANumber", "we choose life"])
    assert splitter.split("prolife") == ["pro", "life"]
    assert splitter.split("NotANumber") == ["not", "a", "number"]
    assert splitter(["#prochoice now"]) == ["#prochoice pro choice now"]

    rows = [dict(row, text=row["text"].replace("the council", "#TheCouncil")) for row in flipped_cue_rows(60)]
    dataset = write_dataset(tmp_path / "tags", {"train": rows})
    report = run_baseline(dataset, "--out", tmp_path / "out", "--normalization", "social-media")
    assert report["options"] == {"target_handling": "auto", "normalization": "social-media"}
    model_file = tmp_path / "out" / report["models"]["tfidf-svm"]["model_file"]
    bundle = load_model(model_file)
    assert bundle.normalization == "social-media"
    features = bundle.pipeline.named_steps["features"]
    assert features.normalization == "social-media"
    assert features.hashtags_.split("TheCouncil") == ["the", "council"]
    frame = pd.DataFrame({"text": [row["text"] for row in rows], "target": [row["target"] for row in rows]})
    assert "council" in features.word_.vocabulary_
    assert list(bundle.pipeline.predict(frame)) == [STANCE_LABELS[row["stance"]] for row in rows]


def test_the_cli_choices_are_the_models_own() -> None:
    """The CLI lists them itself so that parsing arguments never imports scikit-learn."""
    assert set(TARGET_HANDLING) == {AUTO, *TARGET_PREFERENCE} == {AUTO, *TARGET_MODES} - {"none"}
    assert NORMALIZATIONS == FEATURE_NORMALIZATIONS


def test_two_datasets_of_the_same_name_and_card_are_each_read_from_their_own_files(tmp_path: Path) -> None:
    """datasets' cache keys a folder with a `configs:` card by its name and card, not by its files (two releases
    1.0.0 in two projects): the baseline must still read each folder's own rows."""
    card = "---\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n    path: data/train.parquet\n---\n"
    sizes = {}
    for project, count in (("first", 30), ("second", 45)):
        dataset = Path(write_dataset(tmp_path / project / "1.0.0", {"train": separable_rows(count, articles=1)}))
        (dataset / "README.md").write_text(card, encoding="utf-8")
        sizes[project] = run_baseline(dataset, "--out", tmp_path / project / "report")["dataset"]["split_sizes"]
    assert sizes == {"first": {"train": 30}, "second": {"train": 45}}


SEMEVAL = REPO / ".." / "shared" / "benchmarks" / "stance" / "semeval2016"


@pytest.mark.slow
@pytest.mark.skipif(not SEMEVAL.is_dir(), reason=f"no SemEval-2016 folder at {SEMEVAL}")
def test_semeval_2016_development_folder_reports_every_target_and_all_pooled(tmp_path: Path) -> None:
    """The task's own data (train and validation, no test): evaluated on validation, F_avg per target and pooled."""
    report = run_baseline(SEMEVAL, "--out", tmp_path / "semeval")
    assert report["protocol"]["evaluated_split"] == "validation"
    assert report["protocol"]["evaluated_rows"] == 294 and report["protocol"]["training_rows"] == 2620
    targets = report["dataset"]["targets"]
    assert len(targets) == 5
    svm = report["models"]["tfidf-svm"]
    assert sorted(svm["per_target"]) == targets
    assert sum(metrics["rows"] for metrics in svm["per_target"].values()) == svm["metrics"]["rows"] == 294
    assert svm["target_mode"] == svm["selection"]["target_mode"]
    markdown = (tmp_path / "semeval" / "report.md").read_text(encoding="utf-8")
    assert "**All targets pooled**: 294 rows of the validation split, held out." in markdown
    for target in targets:
        assert f"**Target: {target}**" in markdown


def test_rows_whose_text_is_withheld_are_left_out_and_said_so(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A publishable release (schema 2) nulls the texts it may not republish; ids and labels stay."""
    rows = separable_rows(45, articles=3) + [dict(row, text=None) for row in separable_rows(6, articles=1, start=90)]
    report = run_baseline(write_dataset(tmp_path / "some", {"train": rows}), "--out", tmp_path / "out")
    assert report["dataset"]["split_sizes"] == {"train": 45}
    assert report["dataset"]["without_text"] == 6
    assert report["models"]["tfidf-svm"]["metrics"]["rows"] == 45
    assert "(6 labelled rows left out: text withheld)" in (tmp_path / "out" / "report.md").read_text("utf-8")

    withheld = write_dataset(tmp_path / "all", {"train": [dict(row, text=None) for row in separable_rows(9, 1)]})
    capsys.readouterr()
    assert main(["baseline", withheld, "--out", str(tmp_path / "none")]) == 1
    assert capsys.readouterr().err == (
        f"stance-corpus: error: {withheld} (default): every labelled row's 'text' is withheld (null): restore the "
        "texts first (`stance-corpus release restore`)\n"
    )
    assert not (tmp_path / "none").exists()


@pytest.mark.slow
def test_a_release_with_a_labelled_test_split_is_scored_per_target_on_it(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """A publishable release (two targets, train / validation / test, the seed's text withheld): models fitted on
    train + validation and scored on test, pooled and per target, and the report says so."""
    root = make_fixture_project(tmp_path / "project", FIXTURE_ARTICLES, FIXTURE_ARTICLES)
    project = load_project(root)
    folder, _ = build_release(project, "2.1.0", schema=2)
    assert main(["baseline", str(folder), "--out", str(tmp_path / "report")]) == 0
    report = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    assert "evaluation: held out, the test split (fitted on train + validation" in capsys.readouterr().out

    segments = {
        article.id: [s for s in segment_article(article) if s.kind in ANNOTATED_KINDS]
        for article in load_articles(root / "seeds")
    }
    rows_of = {a: len(segments[a]) * len(FIXTURE_TARGETS) for a in FIXTURE_ARTICLES if a != FIXTURE_SEED}
    protocol = report["protocol"]
    assert (protocol["kind"], protocol["evaluated_split"]) == ("held-out", "test")
    assert protocol["evaluated_rows"] == sum(rows_of[a] for a in FIXTURE_TEST)
    assert protocol["training_rows"] == sum(rows_of[a] for a in (*FIXTURE_TRAIN, *FIXTURE_VALIDATION))
    assert protocol["description"].startswith(
        f"fitted on train + validation ({protocol['training_rows']} rows), evaluated on test "
        f"({protocol['evaluated_rows']} rows)"
    )
    assert report["dataset"]["without_text"] == len(segments[FIXTURE_SEED])  # the withheld seed's rows
    # The majority model predicts NONE, the commonest training label: per target, its accuracy is NONE's share.
    majority = report["models"]["majority"]
    names = {target: project.scheme.target(target).name for target in FIXTURE_TARGETS}
    assert sorted(majority["per_target"]) == sorted(names.values())
    for target, name in names.items():
        labels = [fixture_truth(s, target)[0] for a in FIXTURE_TEST for s in segments[a]]
        figures = majority["per_target"][name]
        assert figures["rows"] == len(labels)
        assert figures["accuracy"]["value"] == pytest.approx(labels.count("NONE") / len(labels))
    markdown = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    for name in names.values():
        assert f"**Target: {name}**: {len(FIXTURE_TEST) * len(segments[FIXTURE_TEST[0]])} rows of the test split" in (
            markdown
        )

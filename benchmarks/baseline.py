"""Train+eval time and peak memory of the stance baselines, each candidate in a fresh process.

    .venv/bin/python benchmarks/baseline.py [--sentences 100000] [--seed 0]
    .venv/bin/python benchmarks/baseline.py --semeval ../shared/benchmarks/stance/semeval2016 [--folds 5]

Default: tfidf-logreg on 100,000 synthetic sentences against a plain word-unigram alternative. The sentences are
seed-like: each is a body sentence of the seed articles with its actors, places, days and numbers swapped for
others of the same kind, and a stance cue of a known class inserted, so the vocabulary grows like news text does.
Goal (issue 6): tfidf-logreg train+eval <= 60 s on 2 cores.

--semeval: tfidf-svm on SemEval-2016 Task 6, every one of the 2,914 train + validation tweets predicted once by
stratified k-fold CV (strata: target x label), each fold's model fitted on the other folds exactly as `baseline`
fits it (C and the target mode chosen by its own inner CV). Candidates: target handling auto (with and without
hashtag splitting), and each target mode forced, so the figures say what the choice costs and buys. F_avg pools
all tweets of all targets, as the task's official measure does. The official test split is not read.

Each candidate runs in a fresh process so that peak memory (ru_maxrss of the child) is its own.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from stance_corpus.baselines.data import TARGET, TEXT
from stance_corpus.baselines.metrics import AGAINST, FAVOR
from stance_corpus.baselines.models import MODELS, ModelOptions, fit_model
from stance_corpus.corpus.articles import load_articles
from stance_corpus.corpus.schema import SegmentKind
from stance_corpus.corpus.segment import segment_article

ACTORS = [
    "Syrian government forces",
    "the opposition delegation",
    "Russia",
    "the United States",
    "Turkey",
    "Iran",
    "rebel groups",
    "the U.N. envoy",
    "the High Negotiations Committee",
    "Kurdish fighters",
    "Hezbollah",
    "the Syrian Observatory for Human Rights",
    "Saudi Arabia",
    "the European Union",
    "ISIS",
    "local councils",
]
PLACES = ["Geneva", "Aleppo", "Homs", "Idlib", "Damascus", "Raqqa", "Zahraa", "Nubul", "Latakia", "Daraa", "Vienna"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
CUES = {
    "FAVOR": [
        "welcomed the talks",
        "praised the ceasefire proposal",
        "backed the negotiations",
        "called the agreement a step forward",
        "expressed support for the process",
    ],
    "AGAINST": [
        "condemned the offensive",
        "rejected the proposal",
        "denounced the bombardment",
        "walked out of the talks",
        "accused the other side of bad faith",
    ],
    "NONE": ["was reported", "was described by state media", "took place", "was noted by observers", "was confirmed"],
}
LABELS = list(CUES)


def synthetic_sentences(count: int, seed: int) -> pd.DataFrame:
    """`count` seed-like sentences with labels; 10% of the labels are flipped so the task is not trivial."""
    rng = np.random.default_rng(seed)
    bodies = [s.text for a in load_articles("seeds") for s in segment_article(a) if s.kind == SegmentKind.BODY]
    labels = rng.choice(len(LABELS), size=count, p=[0.3, 0.3, 0.4])
    texts = []
    for label in labels:
        words = bodies[rng.integers(len(bodies))].split()
        for position in rng.choice(len(words), size=min(4, len(words)), replace=False):
            pool = (PLACES, DAYS, [str(rng.integers(2, 400))])[rng.integers(3)]
            words[position] = pool[rng.integers(len(pool))]
        cue = CUES[LABELS[label]][rng.integers(5)]
        words.insert(rng.integers(len(words) + 1), f"{ACTORS[rng.integers(len(ACTORS))]} {cue}")
        texts.append(" ".join(words))
    noisy = np.where(rng.random(count) < 0.1, rng.integers(3, size=count), labels)
    return pd.DataFrame({TEXT: texts, "label": np.array(LABELS)[noisy]})


def _fit_ours(train: pd.DataFrame, seed: int):
    return fit_model(MODELS["tfidf-logreg"], train[[TEXT]], train["label"].to_numpy(), seed).pipeline


def _fit_plain(train: pd.DataFrame, seed: int):
    pipeline = Pipeline([("tfidf", TfidfVectorizer()), ("classifier", LogisticRegression(max_iter=1000))])
    return pipeline.fit(train[TEXT], train["label"])


def _predict_ours(pipeline, test: pd.DataFrame):
    return pipeline.predict(test[[TEXT]])


def _predict_plain(pipeline, test: pd.DataFrame):
    return pipeline.predict(test[TEXT])


CANDIDATES = {
    "tfidf-logreg (word 1-3 + char 2-5 TF-IDF, C by 3-fold CV on <= 20,000 rows)": (_fit_ours, _predict_ours),
    "alternative: TfidfVectorizer word 1-gram + LogisticRegression, C=1": (_fit_plain, _predict_plain),
}


def _measure(name: str, count: int, seed: int, queue: multiprocessing.Queue) -> None:
    frame = synthetic_sentences(count, seed)
    cut = int(len(frame) * 0.8)
    train, test = frame.iloc[:cut], frame.iloc[cut:]
    fit, predict = CANDIDATES[name]
    started, cpu_started = time.perf_counter(), time.process_time()
    predicted = predict(fit(train, seed), test)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    macro_f1 = f1_score(test["label"], predicted, average="macro")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put(
        {"model": name, "seconds": seconds, "cpu_seconds": cpu_seconds, "peak_mib": peak_mib, "macro_f1": macro_f1}
    )


SEMEVAL_LABELS = ("FAVOR", "AGAINST", "NONE")  # the ClassLabel order of the parquet files
SEMEVAL_CANDIDATES = {
    "tfidf-svm, target handling auto, hashtags split (--normalization social-media)": ModelOptions(
        "auto", "social-media"
    ),
    "tfidf-svm, target handling auto": ModelOptions("auto", "none"),
    "tfidf-svm, augmented": ModelOptions("augmented", "none"),
    "tfidf-svm, per-target": ModelOptions("per-target", "none"),
    "alternative: tfidf-svm, pooled (one-hot target: the baseline before per-target handling)": ModelOptions(
        "pooled", "none"
    ),
}


def semeval_rows(folder: str) -> pd.DataFrame:
    """The train and validation splits of the SemEval-2016 folder as one table (text, target, label)."""
    frames = [pd.read_parquet(os.path.join(folder, f"{split}.parquet")) for split in ("train", "validation")]
    frame = pd.concat(frames, ignore_index=True)
    return pd.DataFrame(
        {
            TEXT: frame["text"].astype(str),
            TARGET: frame["target"].astype(str),
            "label": np.array(SEMEVAL_LABELS)[frame["stance"].to_numpy()],
        }
    )


def _measure_semeval(name: str, folder: str, folds: int, seed: int, queue: multiprocessing.Queue) -> None:
    frame = semeval_rows(folder)
    labels = frame["label"].to_numpy()
    strata = (frame[TARGET] + "/" + frame["label"]).to_numpy()
    options = SEMEVAL_CANDIDATES[name]
    predicted = np.empty(len(frame), dtype=object)
    modes = []
    started, cpu_started = time.perf_counter(), time.process_time()
    for fit_rows, eval_rows in StratifiedKFold(folds, shuffle=True, random_state=seed).split(frame, strata):
        fitted = fit_model(
            MODELS["tfidf-svm"], frame.iloc[fit_rows][[TEXT, TARGET]], labels[fit_rows], seed, None, options
        )
        predicted[eval_rows] = fitted.pipeline.predict(frame.iloc[eval_rows][[TEXT, TARGET]])
        modes.append(fitted.target_mode)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    f1 = f1_score(labels, predicted, labels=[FAVOR, AGAINST], average=None)
    per_target = {
        str(target): float(np.mean(f1_score(labels[rows], predicted[rows], labels=[FAVOR, AGAINST], average=None)))
        for target, rows in frame.groupby(TARGET).indices.items()
    }
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put(
        {
            "model": name,
            "rows": len(frame),
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
            "peak_mib": peak_mib,
            "f_avg": float(np.mean(f1)),
            "f_avg_per_target": per_target,
            "target_modes": modes,
        }
    )


def _in_child(target: Callable[..., None], *args: object) -> dict:
    queue: multiprocessing.Queue = multiprocessing.Queue()
    process = multiprocessing.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def _header(what: str) -> None:
    print(
        f"{what}, {os.cpu_count()} CPU(s), load average before the run {os.getloadavg()[0]:.1f} "
        "(other work on the machine slows wall time)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=100_000)
    parser.add_argument("--semeval", metavar="DIR", help="measure on SemEval-2016 (train.parquet, validation.parquet)")
    parser.add_argument("--folds", type=int, default=5, help="CV folds for --semeval (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.semeval:
        _header(f"SemEval-2016 train + validation, {args.folds}-fold CV, seed {args.seed}")
        results = []
        for name in SEMEVAL_CANDIDATES:
            result = _in_child(_measure_semeval, name, args.semeval, args.folds, args.seed)
            results.append(result)
            targets = ", ".join(f"{target} {score:.3f}" for target, score in result["f_avg_per_target"].items())
            print(
                f"{name}: {result['rows']} rows, train+eval {result['seconds']:.1f} s wall, "
                f"{result['cpu_seconds']:.1f} s CPU, peak memory {result['peak_mib']:.0f} MiB; CV F_avg "
                f"{result['f_avg']:.4f} (per target: {targets}); "
                f"target mode per fold: {', '.join(result['target_modes'])}"
            )
        ours, alternative = results[0], results[-1]
        print(
            f"ratio first / alternative: wall time x{ours['seconds'] / alternative['seconds']:.1f}, "
            f"peak memory x{ours['peak_mib'] / alternative['peak_mib']:.1f}, "
            f"F_avg {100 * (ours['f_avg'] - alternative['f_avg']):+.1f} points"
        )
        print(json.dumps(results))
        return
    _header(f"{args.sentences:,} synthetic sentences (80% train, 20% eval), seed {args.seed}")
    results = [_in_child(_measure, name, args.sentences, args.seed) for name in CANDIDATES]
    for result in results:
        print(
            f"{result['model']}: train+eval {result['seconds']:.1f} s wall, {result['cpu_seconds']:.1f} s CPU, "
            f"peak memory {result['peak_mib']:.0f} MiB (process, data included), macro-F1 {result['macro_f1']:.3f}"
        )
    ours, plain = results
    print(
        f"ratio tfidf-logreg / alternative: wall time x{ours['seconds'] / plain['seconds']:.1f}, "
        f"CPU time x{ours['cpu_seconds'] / plain['cpu_seconds']:.1f}, "
        f"peak memory x{ours['peak_mib'] / plain['peak_mib']:.1f}"
    )
    print(f"goal train+eval <= 60 s: {'met' if ours['seconds'] <= 60 else 'NOT met'} ({ours['seconds']:.1f} s)")
    print(json.dumps(results))


if __name__ == "__main__":
    main()

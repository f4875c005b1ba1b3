"""Writing a baseline report folder: report.json, report.md, PNG plots and the saved models.

Everything is written into a hidden temporary folder beside `out` and swapped into place when complete, so an
interrupted run leaves the previous report untouched.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers and CI; must come before pyplot is imported
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay
from stance_corpus.baselines.data import LABEL, SPLIT, StanceData
from stance_corpus.baselines.predict import save_model


def write_report(out: Path, report: dict, data: StanceData, bundles: dict) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    try:
        report["plots"] = _plots(building, report, data)
        for name, bundle in bundles.items():
            save_model(building / report["models"][name]["model_file"], bundle)
        (building / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")
        (building / "report.md").write_text(render_markdown(report), "utf-8")
        _swap_into_place(building, out)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return out


def _swap_into_place(building: Path, out: Path) -> None:
    previous = None
    if out.exists():
        previous = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.old."))
        out.rename(previous / out.name)
    building.rename(out)
    if previous:
        shutil.rmtree(previous)


def _plots(folder: Path, report: dict, data: StanceData) -> list[str]:
    files = []
    for name, model in report["models"].items():
        figure, axes = plt.subplots(figsize=(4.5, 4))
        matrix = np.array(model["metrics"]["confusion_matrix"])
        ConfusionMatrixDisplay(matrix, display_labels=list(data.labels)).plot(ax=axes, colorbar=False, cmap="Blues")
        axes.set_title(f"{name} ({report['protocol']['kind']})")
        files.append(_save(figure, folder, f"confusion_{name}.png"))

    figure, axes = plt.subplots(figsize=(5.5, 3.5))
    counts = (
        data.frame.groupby([SPLIT, LABEL]).size().unstack(fill_value=0).reindex(columns=list(data.labels), fill_value=0)
    )
    counts.plot.bar(ax=axes, rot=0)
    axes.set_ylabel("labelled rows")
    axes.set_title(f"{data.columns.label} per split")
    files.append(_save(figure, folder, "label_distribution.png"))

    curve = report["learning_curve"]
    figure, axes = plt.subplots(figsize=(5.5, 3.5))
    mean = np.array([np.nan if value is None else value for value in curve["mean"]])
    std = np.array([np.nan if value is None else value for value in curve["std"]])
    axes.plot(curve["train_rows"], mean, marker="o")
    axes.fill_between(curve["train_rows"], mean - std, mean + std, alpha=0.2)
    axes.set_xlabel("training rows")
    axes.set_ylabel("macro-F1")
    axes.set_ylim(0, 1)
    axes.set_title(f"learning curve, {curve['model']}")
    files.append(_save(figure, folder, "learning_curve.png"))
    return files


def _save(figure, folder: Path, name: str) -> str:
    figure.tight_layout()
    # Without the "Software" entry (the matplotlib version) the same plots stay byte-identical across installs.
    figure.savefig(folder / name, dpi=120, metadata={"Software": None})
    plt.close(figure)
    return name


def _value(metric: dict | None) -> str:
    if metric is None:
        return "–"
    low, high = metric["ci95"]
    return f"{metric['value']:.3f} [{low:.3f}, {high:.3f}]"


def _share(value: float | None) -> str:
    """A precision, recall or F1, "–" where undefined (corpus.spans)."""
    return "–" if value is None else f"{value:.3f}"


def render_markdown(report: dict) -> str:
    dataset, protocol = report["dataset"], report["protocol"]
    labels = dataset["labels"]
    lines = [
        f"# Stance baselines: {dataset['name']} {dataset['version']} ({dataset['config'] or 'default'} config)",
        "",
        (
            f"Protocol: {protocol['description']}. Seed {report['seed']}; 95% CIs are percentile bootstraps "
            f"({report['bootstrap']['resamples']} resamples) of the {protocol['evaluated_rows']} evaluated rows, "
            f"resampling {report['bootstrap']['over']}."
        ),
        (
            f"Split sizes: {', '.join(f'{s} {n}' for s, n in dataset['split_sizes'].items())}. "
            f"Target: {report['target_handling']}."
        ),
        "",
        "| Model | Macro-F1 [95% CI] | F_avg [95% CI] | Accuracy [95% CI] | "
        + " | ".join(f"F1 {label}" for label in labels)
        + " |",
        "|---|---|---|---|" + "---|" * len(labels),
    ]
    for name, model in report["models"].items():
        metrics = model["metrics"]
        lines.append(
            f"| {name} | {_value(metrics['macro_f1'])} | {_value(metrics.get('f_avg'))} | "
            f"{_value(metrics['accuracy'])} | "
            + " | ".join(f"{metrics['per_class'][label]['f1']:.3f}" for label in labels)
            + " |"
        )
    lines += [
        "",
        "F_avg = mean of F1(FAVOR) and F1(AGAINST) (SemEval-2016 Task 6). Models: "
        + ", ".join(f"`{m['model_file']}`" for m in report["models"].values())
        + " (skops).",
        "",
    ]
    actors = report["actors"]
    if "skipped" in actors:
        lines += [f"Actor baselines skipped: {actors['skipped']}.", ""]
    else:
        lines += [
            f"## Actor spans ({actors['sentences']} gold sentences, {actors['gold_spans']} gold spans)",
            "",
            "| Tagger | Exact P | Exact R | Exact F1 | Overlap P | Overlap R | Overlap F1 |",
            "|---|---|---|---|---|---|---|",
        ]
        for name in ("gazetteer", "token_classifier"):
            result = actors[name]
            if "skipped" in result:
                lines.append(f"| {name} | skipped: {result['skipped']} ||||||")
                continue
            cells = [
                _share(result[kind][measure])
                for kind in ("exact", "overlap")
                for measure in ("precision", "recall", "f1")
            ]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines += ["", f"Token classifier: {actors['token_classifier']['protocol']}.", ""]
    lines += [f"Plots: {', '.join(report['plots'])}.", ""]
    return "\n".join(lines)

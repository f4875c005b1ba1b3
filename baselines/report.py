"""Writing a baseline report folder: report.json, report.md, PNG plots and the saved models.

Everything is written into a hidden temporary folder beside `out` and swapped into place when complete, so an
interrupted run leaves the previous report untouched. `out` must be new, empty or an earlier report (nothing but
report.json, report.md, plots and models/): a folder holding anything else is refused, since swapping would lose it.
report.md has, for each task, one table of all evaluated rows pooled and one per target (when there are several),
each captioned with its split, protocol and interval.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import asdict, replace
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers and CI; must come before pyplot is imported
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay
from stance_corpus.baselines.data import LABEL, SPLIT, StanceData
from stance_corpus.baselines.metrics import Estimate, StanceMetrics
from stance_corpus.baselines.predict import ModelBundle, save_model
from stance_corpus.baselines.progress import Progress
from stance_corpus.baselines.records import BaselineReport, ModelResult, TaskResult
from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.files import output_folder

PLOT_STAGES = 1  # the plots are one stage of the progress bar


def check_report_folder(out: Path) -> Path:
    """`out` as an absolute path, if a report may replace it: a new or empty folder, or an earlier report of ours
    (report.json with models, report.md, PNG plots, models/*.skops and nothing else). Anything else is refused."""
    out = output_folder(out).resolve()  # `--out .` has a name only once resolved
    if out.parent == out:
        raise InputError(out, "is the root folder: give a folder for the report")
    if not out.exists():
        return out
    strays = sorted(entry.name for entry in out.iterdir() if not _report_entry(entry))
    if strays or (any(out.iterdir()) and not _is_report(out / "report.json")):
        held = f" (it holds {', '.join(strays[:3])}{', ...' if len(strays) > 3 else ''})" if strays else ""
        raise InputError(
            out, f"is a folder but not a baseline report{held}: give a new or empty folder, or an earlier report"
        )
    return out


def _report_entry(entry: Path) -> bool:
    if entry.is_symlink():
        return False
    if entry.name in ("report.json", "report.md") or entry.suffix == ".png":
        return entry.is_file()
    return entry.name == "models" and entry.is_dir() and all(
        model.suffix == ".skops" and model.is_file() and not model.is_symlink() for model in entry.iterdir()
    )


def _is_report(path: Path) -> bool:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(report, dict) and {"models", "protocol"} <= report.keys()


def write_report(
    out: Path, report: BaselineReport, data: StanceData, bundles: dict[str, ModelBundle], progress: Progress
) -> Path:
    """Write the report folder `out` (plots, model files by file name, report.json, report.md); returns out.
    `out` is checked first (check_report_folder)."""
    folder = check_report_folder(out)
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    building.chmod(0o755)  # mkdtemp makes it 0700; a report is as readable as the files in it
    try:
        with progress.stage("plots"):
            report = replace(report, plots=_plots(building, report, data))
        for model_file, bundle in bundles.items():
            with progress.stage(f"model file {model_file}"):
                save_model(building / model_file, bundle)
        with progress.stage("report.json, report.md"):
            text = json.dumps(asdict(report), indent=2, ensure_ascii=False) + "\n"
            (building / "report.json").write_text(text, "utf-8")
            (building / "report.md").write_text(render_markdown(report), "utf-8")
        _swap_into_place(building, folder)
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


def _plots(folder: Path, report: BaselineReport, data: StanceData) -> list[str]:
    files = []
    tasks: list[tuple[str, TaskResult]] = [("", report)]
    if report.actors.stance is not None:
        tasks.append(("actor-stance_", report.actors.stance))
    for prefix, task in tasks:
        for name, model in task.models.items():
            figure, axes = plt.subplots(figsize=(4.5, 4))
            matrix = np.array(model.metrics.confusion_matrix)
            labels = task.dataset.labels
            ConfusionMatrixDisplay(matrix, display_labels=labels).plot(ax=axes, colorbar=False, cmap="Blues")
            split = task.protocol.evaluated_split or "cross-validation"
            axes.set_title(f"{prefix.replace('_', ' ')}{name} ({split})")
            files.append(_save(figure, folder, f"confusion_{prefix}{name}.png"))

    figure, axes = plt.subplots(figsize=(5.5, 3.5))
    counts = (
        data.frame.groupby([SPLIT, LABEL]).size().unstack(fill_value=0).reindex(columns=list(data.labels), fill_value=0)
    )
    counts.plot.bar(ax=axes, rot=0)
    axes.set_ylabel("labelled rows")
    axes.set_title(f"{data.columns.label} per split")
    files.append(_save(figure, folder, "label_distribution.png"))

    curve = report.learning_curve
    figure, axes = plt.subplots(figsize=(5.5, 3.5))
    mean = np.array([np.nan if value is None else value for value in curve.mean])
    std = np.array([np.nan if value is None else value for value in curve.std])
    axes.plot(curve.train_rows, mean, marker="o")
    axes.fill_between(curve.train_rows, mean - std, mean + std, alpha=0.2)
    axes.set_xlabel("training rows")
    axes.set_ylabel("macro-F1")
    axes.set_ylim(0, 1)
    axes.set_title(f"learning curve, {curve.model}")
    files.append(_save(figure, folder, "learning_curve.png"))
    return files


def _save(figure: Figure, folder: Path, name: str) -> str:
    figure.tight_layout()
    # Without the "Software" entry (the matplotlib version) the same plots stay byte-identical across installs.
    figure.savefig(folder / name, dpi=120, metadata={"Software": None})
    plt.close(figure)
    return name


def _value(metric: Estimate | None) -> str:
    if metric is None:
        return "–"
    low, high = metric.ci95
    return f"{metric.value:.3f} [{low:.3f}, {high:.3f}]"


def _share(value: float | None) -> str:
    """A precision, recall or F1, "–" where undefined (corpus.spans)."""
    return "–" if value is None else f"{value:.3f}"


def _caption(task: TaskResult, rows: int, what: str, brief: bool = False) -> str:
    protocol = task.protocol
    where = (
        f"{rows} rows of the {protocol.evaluated_split} split, held out"
        if protocol.evaluated_split
        else f"{rows} labelled rows, each predicted once by cross-validation"
    )
    if brief:
        return f"{what}: {where}; protocol and 95% CI as for the pooled table."
    return (
        f"{what}: {where}. Protocol: {protocol.description}. 95% CI: percentile bootstrap, "
        f"{task.bootstrap.resamples} resamples of {task.bootstrap.over}."
    )


def _table(task: TaskResult, metrics_of: dict[str, StanceMetrics]) -> list[str]:
    labels = task.dataset.labels
    lines = [
        "| Model | F_avg [95% CI] | Macro-F1 [95% CI] | Accuracy [95% CI] | "
        + " | ".join(f"F1 {label}" for label in labels)
        + " |",
        "|---|---|---|---|" + "---|" * len(labels),
    ]
    for name, metrics in metrics_of.items():
        lines.append(
            f"| {name} | {_value(metrics.f_avg)} | {_value(metrics.macro_f1)} | {_value(metrics.accuracy)} | "
            + " | ".join(f"{metrics.per_class[label].f1:.3f}" for label in labels)
            + " |"
        )
    return lines


def target_handling(name: str, model: ModelResult) -> str | None:
    """One sentence: which target mode the model's CV chose, with each mode's score and the margin over pooled."""
    selection = model.selection
    if selection is None:
        return f"`{name}`: {model.note}" if model.note else None
    best = {
        mode: max((score for score in scores if score is not None), default=None)
        for mode, scores in selection.mean_scores.items()
    }
    if len(best) == 1:
        rule = f"target mode {selection.target_mode} ({selection.target_rule}); " if selection.target_rule else ""
        return f"`{name}`: {rule}C = {selection.best_c:g} by {selection.scoring}, {selection.folds}-fold {selection.cv}"
    scores = ", ".join(f"{mode} {score:.3f}" for mode, score in best.items() if score is not None)
    chosen, pooled = best.get(selection.target_mode), best.get("pooled")
    margin = (
        f"; {selection.target_mode} {100 * (chosen - pooled):+.1f} points over pooled"
        if chosen is not None and pooled is not None and selection.target_mode != "pooled"
        else ""
    )
    return (
        f"`{name}`: **{selection.target_mode}** won; {selection.scoring} by {selection.folds}-fold "
        f"{selection.cv} on the {selection.rows} training rows (mean over folds, best C of each): {scores}{margin}; "
        f"C = {selection.best_c:g}. Rule: {selection.target_rule}."
    )


def _task_section(task: TaskResult, title: str) -> list[str]:
    lines = [f"## {title}", ""]
    handling = [line for name, model in task.models.items() if (line := target_handling(name, model))]
    if handling:
        lines += ["Target handling and C, chosen on the training rows only:", ""]
        lines += [f"- {line}" for line in handling] + [""]
    models = task.models
    rows = next(iter(models.values())).metrics.rows
    lines += [_caption(task, rows, "**All targets pooled**" if task.dataset.targets[1:] else "**All rows**"), ""]
    lines += _table(task, {name: model.metrics for name, model in models.items()}) + [""]
    targets = sorted({target for model in models.values() for target in model.per_target})
    for target in targets:
        per = {name: model.per_target[target] for name, model in models.items() if target in model.per_target}
        lines += [_caption(task, next(iter(per.values())).rows, f"**Target: {target}**", brief=True), ""]
        lines += _table(task, per) + [""]
    several = len(task.dataset.targets) > 1
    unevaluated = [target for target in task.dataset.targets if target not in targets] if several else []
    if unevaluated:
        where = f"the {task.protocol.evaluated_split} split" if task.protocol.evaluated_split else "the evaluated rows"
        lines += [f"No rows of {where} for target(s) {', '.join(unevaluated)}: no figures for them.", ""]
    if len(task.dataset.targets) == 1:
        lines += [f"One target ({task.dataset.targets[0]}): the table above is that target's.", ""]
    return lines


def render_markdown(report: BaselineReport) -> str:
    """report.md: the tables to paste into a paper, each captioned with its split, protocol and CI."""
    dataset = report.dataset
    options = report.options
    lines = [
        f"# Stance baselines: {dataset.name} {dataset.version} ({dataset.config or 'default'} config)",
        "",
        (
            f"Split sizes: {', '.join(f'{s} {n}' for s, n in dataset.split_sizes.items())}"
            + (f" ({dataset.without_text} labelled rows left out: text withheld)" if dataset.without_text else "")
            + f". Seed {report.seed}. "
            f"Text normalisation: {options.normalization}; target handling: {options.target_handling}. "
            "F_avg = mean of F1(FAVOR) and F1(AGAINST) over all rows pooled (SemEval-2016 Task 6)."
        ),
        "",
    ]
    lines += _task_section(report, "Sentence stance")
    lines += [
        "Models: " + ", ".join(f"`{m.model_file}`" for m in report.models.values()) + " (skops).",
        "",
        (
            f"Learning curve ({report.learning_curve.model}, `learning_curve.png`): "
            f"{report.learning_curve.scoring}; {report.learning_curve.protocol}."
        ),
        "",
    ]
    actors = report.actors
    if actors.skipped is not None:
        lines += [f"Actor baselines skipped: {actors.skipped}.", ""]
    else:
        lines += [
            f"## Actor spans ({actors.sentences} gold sentences, {actors.gold_spans} gold spans)",
            "",
            (
                f"Gazetteer: {actors.gazetteer.get('evaluated_on', actors.gazetteer.get('skipped'))}. Token "
                f"classifier: {actors.token_classifier['protocol']}. No CI: span counts over the sentences."
            ),
            "",
            "| Tagger | Exact P | Exact R | Exact F1 | Overlap P | Overlap R | Overlap F1 |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, result in (("gazetteer", actors.gazetteer), ("token_classifier", actors.token_classifier)):
            if "skipped" in result:
                lines.append(f"| {name} | skipped: {result['skipped']} ||||||")
                continue
            cells = [
                _share(result[kind][measure])
                for kind in ("exact", "overlap")
                for measure in ("precision", "recall", "f1")
            ]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
        if actors.stance is None:
            lines += ["Actor stance skipped: the gold mentions have fewer than two stance classes.", ""]
        else:
            lines += _task_section(actors.stance, f"Actor stance ({actors.stance.protocol.evaluated_rows} mentions)")
            lines += [
                "Given a sentence and one actor mention in it, that actor's stance. Models: "
                + ", ".join(f"`{m.model_file}`" for m in actors.stance.models.values())
                + ".",
                "",
            ]
    lines += [f"Plots: {', '.join(report.plots)}.", ""]
    return "\n".join(lines)

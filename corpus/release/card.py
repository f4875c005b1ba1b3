"""The README.md of a release: DATASET_CARD.md's YAML keys and text, plus the Hub's keys and statistics computed
from the release's own rows. Pure functions over strings and tables; no timestamps, so a rebuild is byte-identical.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from datasets import DatasetInfo, Features, SplitDict, SplitInfo
from datasets.info import DatasetInfosDict
from stance_corpus.corpus.agreement_ci import METHOD, Estimate, Rating, interval_text, pair_agreement, passes
from stance_corpus.corpus.errors import ReleaseError
from stance_corpus.corpus.release.adjudication import decisions_table
from stance_corpus.corpus.release.rows import (
    SPLIT_BUCKETS,
    SPLITS,
    ReleaseSchema,
    Row,
    Tables,
    agreement_summary,
    label_counts,
    released_targets,
)
from stance_corpus.corpus.schema import Scheme, Target

DEFAULT_CONFIG = "sentences"
VERSION_PATTERN = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")

CONFIG_ROWS: dict[str, str] = {
    "sentences": "sentence (heading or body segment) with a gold label: stance toward the target, "
    "actor spans, context, number of annotators and their agreement with the gold label",
    "actors": "gold actor mention: offsets into the sentence, type, registry id, stance",
    "actor_tags": "gold sentence: syntok tokens and BIO `ner_tags` (CoNLL-2003 shape) for token classification",
    "articles": "seed article: catalogue metadata, full text and the offsets of its segments",
    "raw_annotations": "(segment, annotator) before adjudication, for agreement research",
}
# With several targets in a release a row is per target too.
_PER_TARGET_ROWS = {
    "sentences": "(sentence, target) with a gold label: the sentence (heading or body segment), its stance toward "
    "the target, actor spans, context, number of annotators and their agreement with the gold label",
    "actors": "gold actor mention of a (sentence, target): offsets into the sentence, type, registry id, stance "
    "toward the target",
    "raw_annotations": "(segment, target, annotator) before adjudication, for agreement research",
}

_SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"))
_CARD_HEADER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)


def split_card(text: str, where: str) -> tuple[dict[str, Any], str]:
    """(YAML header, Markdown body) of a dataset card."""
    match = _CARD_HEADER.match(text)
    if not match:
        raise ReleaseError(where, "no YAML header between '---' lines at the top")
    try:
        header = yaml.safe_load(match.group(1))
    except yaml.YAMLError as error:
        raise ReleaseError(where, f"the YAML header is not valid YAML ({str(error).splitlines()[0]})") from error
    if not isinstance(header, dict) or "version" not in header:
        raise ReleaseError(where, "the YAML header needs a 'version: X.Y.Z' key")
    return header, text[match.end() :]


def check_version(version: str) -> str:
    """`version` itself when it is a semantic version X.Y.Z; ReleaseError otherwise."""
    if not VERSION_PATTERN.fullmatch(version):
        raise ReleaseError(None, f"version {version!r} is not a semantic version X.Y.Z (e.g. 1.0.0)")
    return version


def changelog_entry(text: str, version: str, where: str) -> str:
    """The notes of `### X.Y.Z` under `## Dataset releases`: every version is described before it is built."""
    releases = text.partition("\n## Dataset releases")[2]
    match = re.search(rf"^### {re.escape(version)}[^\n]*\n(.*?)(?=^##|\Z)", releases, re.DOTALL | re.MULTILINE)
    if not match or not match.group(1).strip():
        raise ReleaseError(
            where, f"no '### {version}' entry under '## Dataset releases': describe the release before building it"
        )
    return match.group(1).strip()


def render_card(
    header: Mapping[str, Any],
    body: str,
    version: str,
    tables: Tables,
    files: Mapping[str, Mapping[str, tuple[str, int]]],
    inputs: Mapping[str, str],
    notes: str,
    schema: ReleaseSchema,
    features: Mapping[str, Features] | None = None,
    publishable: Publishable | None = None,
) -> str:
    """The release README.md; `files`: config -> split -> (path in the release, arrow bytes); `inputs`: path ->
    sha256; `features`: the features of each config (default: the schema's; a publishable release adds columns);
    `publishable`: what a schema 2 release's statistics need beyond the rows (schema 1's statistics never change:
    release 1.0.0 is rebuilt byte for byte)."""
    yaml_header = {
        **{key: value for key, value in header.items() if key != "version"},
        "version": version,
        "size_categories": [_size_category(sum(len(rows) for rows in tables[DEFAULT_CONFIG].values()))],
        "configs": [
            {
                "config_name": config,
                "data_files": [{"split": split, "path": path} for split, (path, _) in splits.items()],
                **({"default": True} if config == DEFAULT_CONFIG else {}),
            }
            for config, splits in files.items()
        ],
    }
    DatasetInfosDict(
        {
            config: DatasetInfo(
                features=(features or schema.features)[config], splits=_split_dict(tables[config], splits)
            )
            for config, splits in files.items()
        }
    ).to_dataset_card_data(yaml_header)
    front = yaml.safe_dump(yaml_header, sort_keys=False, allow_unicode=True, width=120)
    statistics = (
        _statistics(version, tables, inputs, notes, schema)
        if publishable is None
        else publishable_statistics(version, tables, inputs, notes, schema, publishable)
    )
    return f"---\n{front}---\n{body.rstrip()}\n\n{statistics}"


def _split_dict(rows: Mapping[str, list[Row]], files: Mapping[str, tuple[str, int]]) -> SplitDict:
    split_dict = SplitDict()
    for split, (_, num_bytes) in files.items():
        split_dict.add(SplitInfo(name=split, num_bytes=num_bytes, num_examples=len(rows[split])))
    return split_dict


def _size_category(rows: int) -> str:
    return next((label for upper, label in _SIZE_CATEGORIES if rows < upper), "1M<n<10M")


def _statistics(version: str, tables: Tables, inputs: Mapping[str, str], notes: str, schema: ReleaseSchema) -> str:
    scheme = schema.scheme
    targets = released_targets(tables, scheme)
    several = len(targets) > 1
    counts = label_counts(tables, scheme)
    rows_per = {**CONFIG_ROWS, **(_PER_TARGET_ROWS if several else {})}
    bounds = ", ".join(f"{name} below {upper}" for name, upper in SPLIT_BUCKETS)
    present = [split for split in SPLITS if split in tables[DEFAULT_CONFIG]]
    lines = [
        f"## Release {version}",
        "",
        "Everything below is generated by `stance-corpus release` from the release's own rows and inputs.",
        "",
        "### Release notes",
        "",
        notes,
        "",
        "### Configs",
        "",
        "| config | rows | " + " | ".join(SPLITS) + " | one row per |",
        "|---|---:|" + "---:|" * len(SPLITS) + "---|",
        *(
            f"| `{config}` | {sum(len(rows) for rows in splits.values())} | "
            + " | ".join(str(len(splits.get(split, ()))) for split in SPLITS)
            + f" | {rows_per[config]} |"
            for config, splits in tables.items()
        ),
        "",
        ("Each row type has its own config because a Hugging Face config holds one table: span rows (`actors`) and "
        "token rows (`actor_tags`) cannot share a schema with sentence rows."),
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        f'sentences = load_dataset("releases/{version}", "sentences")  # a local release: one folder per version',
        f'sentences = load_dataset("OWNER/NAME", "sentences", revision="v{version}")  # the Hub: one tag per version',
        "```",
        "",
        "### Splits",
        "",
        f"A sentence's split is decided by its article id alone: bucket = first 8 bytes of sha256(article id) as a "
        f"big-endian integer, modulo 100; {bounds}. All sentences of an article are in the same split, and no "
        "sentence ever moves to another split in a later release. Only non-empty splits are published; this "
        f"release has {', '.join(present)}"
        + (
            "." if len(present) == len(SPLITS)
            else ": with so few articles, evaluate with cross-validation grouped by article."
        ),
        "",
        f"### Sentence stance per {'target and ' if several else ''}split",
        "",
        _count_table(counts, "stance", scheme.stance_names, several),
        "",
        f"### Actor mentions per type{', target' if several else ''} and split",
        "",
        _count_table(counts, "actor type", scheme.actor_type_names, several),
        "",
        f"### Actor stance per {'target and ' if several else ''}split",
        "",
        _count_table(counts, "actor stance", scheme.stance_names, several),
        "",
        "### Agreement",
        "",
        *(line for target in targets for line in _agreement_lines(tables, target.name, several)),
        "### Build inputs (sha256)",
        "",
        "| file | sha256 |",
        "|---|---|",
        *(f"| `{path}` | `{digest}` |" for path, digest in inputs.items()),
        "",
    ]
    return "\n".join(lines)


def _agreement_lines(tables: Tables, target: str, several: bool) -> list[str]:
    agreement = agreement_summary(tables, target)
    return [
        *([f"Target: {target}", ""] if several else []),
        f"- annotators in `raw_annotations`: {agreement['annotators']}",
        f"- sentences labelled by 2 or more annotators: {agreement['annotated_by_several']}",
        f"- mean share of those annotators who chose the gold stance: {_number(agreement['mean_agreement_with_gold'])}",
        "- Krippendorff's alpha (nominal) of the annotators' sentence stances: "
        + _number(agreement["krippendorff_alpha"]),
        "",
    ]


def _count_table(
    counts: Mapping[tuple[str, str], Mapping[str, Mapping[str, int]]], what: str, labels: tuple[str, ...], several: bool
) -> str:
    """One row per split (and per target, first column, when there are several)."""
    rows = [
        "| " + (f"{target} | " if several else "") + f"{split} | "
        + " | ".join(str(per[what][label]) for label in labels) + f" | {sum(per[what].values())} |"
        for (target, split), per in counts.items()
    ]
    head = "| " + ("target | " if several else "") + "split | " + " | ".join(labels) + " | total |"
    rule = "|" + ("---|" if several else "") + "---|" + "---:|" * (len(labels) + 1)
    return "\n".join([head, rule, *rows])


def _number(value: float | None) -> str:
    return "undefined (too few overlapping annotations)" if value is None else f"{value:.3f}"


@dataclass(frozen=True)
class Publishable:
    """What the statistics of a publishable release (schema 2) need beyond its rows: the rows left out because their
    split has no gold-labelled sentence (config -> split -> rows), the number of passes per (sentence, target), and
    the adjudicator's decisions of its gold labels per target and rule (corpus.release.adjudication)."""

    left_out: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    passes: int = 2
    decisions: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


_PUBLISHABLE_ROWS = {
    "articles": "article: catalogue metadata, licence and attribution, its targets, full text (null when the licence "
    "does not let anyone republish it) and the offsets of its segments",
}


def publishable_statistics(
    version: str,
    tables: Tables,
    inputs: Mapping[str, str],
    notes: str,
    schema: ReleaseSchema,
    publishable: Publishable,
) -> str:
    """The generated part of a schema 2 card: configs, splits, and per target the label counts per split and the
    agreement of the passes with bootstrap CIs over articles; every figure from the rows, nothing written by hand.

    Once a schema 2 version is pinned in released.json its README.md must rebuild byte for byte: change what this
    writes only together with a new release schema (as schema 1's `_statistics` never changes)."""
    scheme = schema.scheme
    present = [split for split in SPLITS if split in tables.get(DEFAULT_CONFIG, {})]
    rows_per = {**CONFIG_ROWS, **_PER_TARGET_ROWS, **_PUBLISHABLE_ROWS}
    bounds = ", ".join(f"{name} below {upper}" for name, upper in SPLIT_BUCKETS)
    articles = {split: rows for split, rows in tables.get("articles", {}).items()}
    lines = [
        f"## Release {version}",
        "",
        "Everything below is generated by `stance-corpus release` from the release's own rows and inputs.",
        "",
        "### Release notes",
        "",
        notes,
        "",
        "### Configs",
        "",
        "| config | rows | " + " | ".join(present) + " | one row per |",
        "|---|---:|" + "---:|" * len(present) + "---|",
        *(
            f"| `{config}` | {sum(len(rows) for rows in splits.values())} | "
            + " | ".join(str(len(splits.get(split, ()))) for split in present)
            + f" | {rows_per[config]} |"
            for config, splits in tables.items()
        ),
        "",
        ("Each row type has its own config because a Hugging Face config holds one table: span rows (`actors`) and "
        "token rows (`actor_tags`) cannot share a schema with sentence rows."),
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        f'sentences = load_dataset("releases/{version}", "sentences")  # a local release: one folder per version',
        f'sentences = load_dataset("OWNER/NAME", "sentences", revision="v{version}")  # the Hub: one tag per version',
        "```",
        "",
        "### Splits",
        "",
        (f"A sentence's split is decided by its article id alone: bucket = first 8 bytes of sha256(article id) as a "
        f"big-endian integer, modulo 100; {bounds}. All sentences of an article are in the same split, and no "
        "sentence or article ever moves to another split in a later release. Every config of this release has the "
        f"same splits: {', '.join(present)}."),
        "",
        "| split | articles | articles with gold labels |",
        "|---|---:|---:|",
        *(
            f"| {split} | {len(articles.get(split, ()))} | "
            f"{len({row['article_id'] for row in tables[DEFAULT_CONFIG][split]})} |"
            for split in present
        ),
        "",
        *_left_out_lines(publishable.left_out),
    ]
    for target in _card_targets(tables, scheme):
        lines += _target_lines(tables, target, scheme, present, publishable.passes)
    lines += _adjudication_lines(publishable.decisions)
    lines += [
        "### Build inputs (sha256)",
        "",
        "| file | sha256 |",
        "|---|---|",
        *(f"| `{path}` | `{digest}` |" for path, digest in inputs.items()),
        "",
    ]
    return "\n".join(lines)


def _adjudication_lines(decisions: Mapping[str, Mapping[str, int]]) -> list[str]:
    lines = ["### Adjudication", ""]
    table = decisions_table(decisions)
    if not table:
        none = "No gold label of this release was decided by an adjudicator: every one is the passes' common label."
        return [*lines, none, ""]
    return [
        *lines,
        ("Where the passes disagreed (sentence stance, or an actor span's boundaries, type, stance or id), an "
        "adjudicator decided the gold label in the target's review project (`stance-corpus adjudicate`), naming the "
        "guidelines section the decision rests on. Decisions per section and target:"),
        "",
        *table,
        "",
    ]


def _left_out_lines(left_out: Mapping[str, Mapping[str, int]]) -> list[str]:
    splits = sorted({split for per_split in left_out.values() for split in per_split}, key=SPLITS.index)
    if not splits:
        return []
    counts = ", ".join(
        f"{sum(per_split.values())} `{config}` rows" for config, per_split in left_out.items() if per_split
    )
    return [
        (f"Not in this release: {counts} of the {', '.join(splits)} split{'s' if len(splits) > 1 else ''}, where no "
        "sentence has a gold label yet (a split is published only with labelled sentences, since "
        "`datasets.load_dataset` cannot load an empty split). They keep their split when a later release has labels "
        "for them."),
        "",
    ]


def _card_targets(tables: Tables, scheme: Scheme) -> list[Target]:
    """The scheme's targets that an article of the release is annotated for (or, in rows without the `targets`
    column, that have sentences), in the scheme's order."""
    listed = {
        target for rows in tables.get("articles", {}).values() for row in rows for target in row.get("targets") or ()
    }
    if not listed:
        return released_targets(tables, scheme)
    return [target for target in scheme.targets if target.id in listed]


def _target_lines(
    tables: Tables, target: Target, scheme: Scheme, splits: Sequence[str], pass_count: int
) -> list[str]:
    sentences = {
        split: [row for row in tables.get("sentences", {}).get(split, ()) if row["target_id"] == target.id]
        for split in splits
    }
    raw = [row for rows in tables.get("raw_annotations", {}).values() for row in rows if row["target_id"] == target.id]
    articles = sum(
        target.id in (row.get("targets") or ()) for rows in tables.get("articles", {}).values() for row in rows
    )
    gold = sum(len(rows) for rows in sentences.values())
    stances, types = scheme.stance_names, scheme.actor_type_names
    lines = [
        f"### Figures of target `{target.id}`: {target.name}",
        "",
        (f"{articles} article{'s' if articles != 1 else ''} of this release {'are' if articles != 1 else 'is'} "
        f"annotated for this target; {gold} of their sentences have a gold label."),
        "",
    ]
    if not gold:
        return [*lines, "No sentence of this target has a gold label yet: no counts or agreement to report.", ""]
    spans = {split: [span for row in rows for span in row["actors"]] for split, rows in sentences.items()}
    lines += [
        "#### Sentence stance per split",
        "",
        _split_table(splits, stances, {s: Counter(stances[row["stance"]] for row in sentences[s]) for s in splits}),
        "",
        "#### Actor mentions per type and split",
        "",
        _split_table(splits, types, {s: Counter(types[span["type"]] for span in spans[s]) for s in splits}),
        "",
        "#### Actor stance per split",
        "",
        _split_table(splits, stances, {s: Counter(stances[span["stance"]] for span in spans[s]) for s in splits}),
        "",
        "#### Agreement",
        "",
        *_agreement_ci_lines(raw, sentences, scheme, pass_count),
    ]
    return lines


def _split_table(splits: Sequence[str], labels: Sequence[str], counts: Mapping[str, Counter[str]]) -> str:
    rows = [
        f"| {split} | " + " | ".join(str(counts[split][label]) for label in labels) + f" | {counts[split].total()} |"
        for split in splits
    ]
    total = Counter[str]()
    for split in splits:
        total.update(counts[split])
    rows.append("| all | " + " | ".join(str(total[label]) for label in labels) + f" | {total.total()} |")
    return "\n".join(
        ["| split | " + " | ".join(labels) + " | total |", "|---|" + "---:|" * (len(labels) + 1), *rows]
    )


def _agreement_ci_lines(
    raw: Sequence[Row], sentences: Mapping[str, Sequence[Row]], scheme: Scheme, pass_count: int
) -> list[str]:
    stances, types = scheme.stance_names, scheme.actor_type_names
    ratings = [
        Rating(
            row["article_id"],
            row["segment_id"],
            row["annotator"],
            stances[row["stance"]],
            tuple((span["start"], span["end"], types[span["type"]]) for span in row["actors"]),
        )
        for row in raw
    ]
    rated = Counter(rating.annotator for rating in ratings)
    if not rated:
        return ["No annotator's labels of this target in `raw_annotations`.", ""]
    named = ", ".join(f"`{name}` ({rated[name]})" for name in sorted(rated))
    lines = [
        f"Annotators in `raw_annotations` (pseudonyms; labelled sentences): {named}.",
        "",
    ]
    chosen = passes(ratings, pass_count)
    if len(chosen) < 2:
        return [*lines, "Only one annotator labelled this target: no agreement to report.", ""]
    first, second = chosen[:2]
    pair = pair_agreement(ratings, first, second, stances)
    others = sorted(set(rated) - set(chosen))
    with_gold = [row["agreement"] for rows in sentences.values() for row in rows if row["agreement"] is not None]
    mean = f"{sum(with_gold) / len(with_gold):.3f}" if with_gold else "undefined"
    lines += [
        f"The two passes are `{first}` and `{second}` (the annotators with the most labels"
        + (f"; {', '.join(f'`{name}`' for name in others)} not counted)" if others else ")")
        + f": {pair.units} sentences labelled by both, from {pair.articles} article"
        + ("s" if pair.articles != 1 else "")
        + f"; {pair.spans[0]} and {pair.spans[1]} actor spans.",
        "",
        "| measure | value [95% CI] |",
        "|---|---:|",
        f"| sentence stance: percent agreement | {_percent_text(pair.percent_agreement)} |",
        f"| sentence stance: Cohen's kappa | {interval_text(pair.cohen_kappa)} |",
        f"| sentence stance: Krippendorff's alpha (nominal) | {interval_text(pair.krippendorff_alpha)} |",
        f"| actor spans: F1, exact match | {interval_text(pair.span_f1_exact)} |",
        f"| actor spans: F1, overlap match | {interval_text(pair.span_f1_overlap)} |",
        "",
        f"Intervals: {METHOD}; "
        + (
            "resamples where a figure is undefined are left out of its interval."
            if pair.articles >= 2
            else "with one article there is nothing to resample, so no interval is given."
        )
        + f" Mean share of a sentence's annotators (everyone in `raw_annotations`, an adjudicator included) who chose "
        f"its gold stance: {mean} ({len(with_gold)} sentences labelled by two or more).",
        "",
    ]
    return lines


def _percent_text(estimate: Estimate) -> str:
    return interval_text(estimate, digits=1)

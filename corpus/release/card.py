"""The README.md of a release: DATASET_CARD.md's YAML keys and text, plus the Hub's keys and statistics computed
from the release's own rows. Pure functions over strings and tables; no timestamps, so a rebuild is byte-identical.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml
from datasets import DatasetInfo, Features, SplitDict, SplitInfo
from datasets.info import DatasetInfosDict
from stance_corpus.corpus.errors import ReleaseError
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
) -> str:
    """The release README.md; `files`: config -> split -> (path in the release, arrow bytes); `inputs`: path ->
    sha256; `features`: the features of each config (default: the schema's; a publishable release adds columns)."""
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
    return f"---\n{front}---\n{body.rstrip()}\n\n{_statistics(version, tables, inputs, notes, schema)}"


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

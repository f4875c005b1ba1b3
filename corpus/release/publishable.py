"""Publishable releases (release schema 2): what a release adds to the rows, the card and the files so that anyone
may publish and use it (docs/releases.md, "Release schemas").

Schema 1 is the format of release 1.0.0 and never changes (its bytes are pinned in released.json). Schema 2 adds:

- **withheld texts**: an article whose licence does not let anyone republish it (`licences.is_redistributable`) keeps
  its ids, offsets and labels, and every text column of its rows is null; `articles.text_sha256` lets whoever holds
  the article restore the words exactly (`withhold.restore_release`);
- columns `articles.text_sha256`, `articles.redistributable`, `articles.attribution` and `actor_tags.token_offsets`;
- **the same split names in every config** (refused otherwise: `datasets.load_dataset` cannot load an empty split);
- the card header's licence keys from the data (`licences.hub_license_keys`), and generated card sections: licences
  and attribution, withheld texts, citation (BibTeX), contact, Croissant;
- files `LICENSE.md`, `ATTRIBUTION.md` and `croissant.json` beside the parquet files.

Pure functions over rows and strings; `build` writes the files.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from datasets import Features, List, Value
from stance_corpus.corpus.errors import ReleaseError
from stance_corpus.corpus.release.croissant import CROISSANT_FILE
from stance_corpus.corpus.release.licences import (
    ATTRIBUTION_FILE,
    KNOWN_LICENCES,
    LICENSE_FILE,
    REDISTRIBUTABLE,
    is_redistributable,
    licence_label,
    licence_summary,
)
from stance_corpus.corpus.release.rows import SPLITS, Tables
from stance_corpus.corpus.schema import Article

SCHEMA_1 = 1  # the format of release 1.0.0
SCHEMA_2 = 2  # publishable
SCHEMAS = (SCHEMA_1, SCHEMA_2)
CARD_KEY = "stance_corpus"  # the card header's block read by the build and not copied into the release's YAML

_OFFSET = {"start": Value("int32"), "end": Value("int32")}


@dataclass(frozen=True, slots=True)
class Publishing:
    """What a publishable release says about itself beyond the data: from the card header's `stance_corpus` block."""

    authors: tuple[str, ...]
    contact: str
    url: str | None
    labels_license: str


def publishing_settings(header: Mapping[str, Any], where: str) -> Publishing:
    """The card header's `stance_corpus` block, checked: a publishable release needs authors, a contact and a known
    licence for its labels."""
    block = header.get(CARD_KEY)
    if not isinstance(block, dict):
        raise ReleaseError(where, f"a publishable release (schema 2) needs a '{CARD_KEY}:' block in the YAML header")
    authors = block.get("authors")
    if not isinstance(authors, list) or not authors or not all(isinstance(a, str) and a.strip() for a in authors):
        raise ReleaseError(where, f"'{CARD_KEY}.authors' must be a list of names (people as 'Last, First')")
    contact = block.get("contact")
    if not isinstance(contact, str) or not contact.strip():
        raise ReleaseError(
            where, f"'{CARD_KEY}.contact' is empty: a publishable release names who answers questions about it "
            "(an address or an issue tracker)"
        )
    url = block.get("url")
    if url is not None and not isinstance(url, str):
        raise ReleaseError(where, f"'{CARD_KEY}.url' must be the dataset's address or null")
    labels = block.get("labels_license")
    if not isinstance(labels, str) or labels not in KNOWN_LICENCES:
        raise ReleaseError(
            where, f"'{CARD_KEY}.labels_license' {labels!r} is not a known licence ({', '.join(KNOWN_LICENCES)})"
        )
    return Publishing(tuple(authors), contact.strip(), url or None, labels)


def publishable_features(features: Mapping[str, Features]) -> dict[str, Features]:
    """The features of a schema 2 release: those of `features` plus the publishable columns."""
    extra = {
        "articles": {"text_sha256": Value("string"), "redistributable": Value("bool"), "attribution": Value("string")},
        "actor_tags": {"token_offsets": List(_OFFSET)},
    }
    return {config: Features({**columns, **extra.get(config, {})}) for config, columns in features.items()}


def withheld_articles(articles: Mapping[str, Article], allowed: frozenset[str] = REDISTRIBUTABLE) -> set[str]:
    """Ids of the articles whose text may not be republished."""
    return {article_id for article_id, article in articles.items() if not is_redistributable(article, allowed)}


def text_sha256(text: str) -> str:
    """The digest that identifies an article's exact text (UTF-8, as read from its file)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def labelled_splits(tables: Tables) -> tuple[Tables, dict[str, dict[str, int]]]:
    """The rows of the splits that have gold-labelled sentences (the `sentences` config's), and per config and split
    the number of rows left out: a split without a labelled sentence cannot be published in every config (an empty
    split cannot be loaded), so its articles and raw annotations wait for a later release (in the same split)."""
    kept = [split for split in SPLITS if tables.get("sentences", {}).get(split)]
    left_out = {
        config: {split: len(rows) for split, rows in per_split.items() if split not in kept and rows}
        for config, per_split in tables.items()
    }
    result = {
        config: {split: rows for split, rows in per_split.items() if split in kept}
        for config, per_split in tables.items()
    }
    return (
        {config: per_split for config, per_split in result.items() if per_split},
        {config: counts for config, counts in left_out.items() if counts},
    )


def split_names_problem(tables: Tables) -> str | None:
    """Why the configs cannot be published with the same split names (None when they can). An empty split cannot be
    published (`datasets.load_dataset` refuses a split without rows), so every config needs rows in every split
    that any config has."""
    splits = [split for split in SPLITS if any(split in per_split for per_split in tables.values())]
    for config, per_split in tables.items():
        missing = [split for split in splits if not per_split.get(split)]
        if missing:
            return (
                f"the {config} config has no row in {', '.join(missing)}, which other configs have: every config of a "
                "publishable release has the same splits, and an empty split cannot be loaded (label more sentences "
                "of the articles in that split)"
            )
    return None


def publishable_tables(tables: Tables, articles: Mapping[str, Article], withheld: set[str]) -> Tables:
    """Schema 2 rows from schema 1 rows: publishable columns added and the texts of `withheld` articles nulled."""
    sentence_text = {row["id"]: row["text"] for rows in tables.get("sentences", {}).values() for row in rows}
    sentence_article = {row["id"]: row["article_id"] for rows in tables.get("sentences", {}).values() for row in rows}
    result: Tables = {}
    for config, per_split in tables.items():
        result[config] = {}
        for split, split_rows in per_split.items():
            rows = []
            for row in split_rows:
                if config == "articles":
                    article = articles[row["id"]]
                    row = {
                        **row,
                        "text_sha256": text_sha256(article.text),
                        "redistributable": article.id not in withheld,
                        "attribution": article.attribution,
                    }
                elif config == "actor_tags":
                    row = {**row, "token_offsets": token_offsets(sentence_text[row["id"]], row["tokens"], row["id"])}
                withhold = _article_of(config, row, sentence_article) in withheld
                rows.append(without_text(config, row) if withhold else row)
            result[config][split] = rows
    return result


def _article_of(config: str, row: dict[str, Any], sentence_article: Mapping[str, str]) -> str:
    if config == "articles":
        return str(row["id"])
    return sentence_article[row["id"]] if config == "actor_tags" else str(row["article_id"])


def token_offsets(text: str, tokens: list[str], where: str) -> list[dict[str, int]]:
    """(start, end) of each token in `text`: tokens are slices of the text in order, apart only by whitespace."""
    offsets, cursor = [], 0
    for token in tokens:
        start = text.find(token, cursor)
        if start < 0 or text[cursor:start].strip():
            raise ReleaseError(where, f"token {token!r} is not the next slice of the sentence after offset {cursor}")
        offsets.append({"start": start, "end": start + len(token)})
        cursor = start + len(token)
    return offsets


def without_text(config: str, row: dict[str, Any]) -> dict[str, Any]:
    """The row with every column that holds the article's words set to null (ids, offsets and labels stay)."""
    row = dict(row)
    if config in ("sentences", "raw_annotations"):
        row["text"] = None
        row["actors"] = [{**span, "text": None} for span in row["actors"]]
        if config == "sentences":
            row["context"] = {key: None for key in row["context"]}
    elif config == "actors":
        row["text"] = row["sentence"] = None
    elif config == "actor_tags":
        row["tokens"] = None
    elif config == "articles":
        row["text"] = None
    return row


def release_date(changelog: str, version: str) -> str | None:
    """The ISO date on the version's heading under "## Dataset releases" (`### 2.0.0 (2027-01-15)`), if any."""
    releases = changelog.partition("\n## Dataset releases")[2]
    match = re.search(rf"^### {re.escape(version)}\b([^\n]*)$", releases, re.MULTILINE)
    date = re.search(r"\b(\d{4}-\d{2}-\d{2})\b", match.group(1)) if match else None
    return date.group(1) if date else None


def bibtex(pretty_name: str, version: str, publishing: Publishing, date: str | None) -> str:
    """A BibTeX entry for the release; people are written 'Last, First', other authors are braced as one name."""
    authors = " and ".join(author if "," in author else f"{{{author}}}" for author in publishing.authors)
    fields = [
        ("title", f"{{{pretty_name}}}"),
        ("author", authors),
        *([("year", date[:4])] if date else []),
        ("version", version),
        *([("howpublished", f"\\url{{{publishing.url}}}")] if publishing.url else []),
        ("note", f"Dataset release {version}"),
    ]
    key = "stance_corpus_" + version.replace(".", "_")
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{key},\n{body}\n}}"


def publishing_sections(
    version: str,
    articles: Mapping[str, Article],
    withheld: set[str],
    publishing: Publishing,
    citation: str,
) -> str:
    """The card sections a publishable release generates from its data: licences and attribution, withheld texts,
    citation, contact and the Croissant file."""
    included = set(articles) - withheld
    labels = KNOWN_LICENCES[publishing.labels_license]
    lines = [
        "## Licences and attribution",
        "",
        "Generated from the `license` and `attribution` of each article (its catalogue line).",
        "",
        "### Articles per source",
        "",
        "| source | licence | articles | texts in this release |",
        "|---|---|---:|---:|",
        *(
            f"| {_cell(source)} | {_cell(licence_label(licence))} | {total} | {shown} |"
            for source, licence, total, shown in licence_summary(articles, included)
        ),
        "",
        (f"The labels are released under the {labels.name} (`{labels.id}`, {labels.url}). `{LICENSE_FILE}` lists every "
        f"licence with its terms; `{ATTRIBUTION_FILE}` holds the attribution statement of each republished source and "
        "the articles it covers. Whoever republishes texts of this release must keep those statements with them."),
        "",
        "## Withheld texts",
        "",
    ]
    if withheld:
        lines += [
            ("The licence of these articles does not let anyone republish them, so their words are not in this "
            "release: every text column of their rows (`text`, `context`, span `text`, `sentence`, `tokens`) is null, "
            "while ids, offsets, labels and `articles.text_sha256` (the sha256 of the article's UTF-8 text) stay."),
            "",
            "| article | title | sha256 of the text |",
            "|---|---|---|",
            *(
                f"| `{article_id}` | {_cell(articles[article_id].title or '(no title)')} | "
                f"`{text_sha256(articles[article_id].text)}` |"
                for article_id in sorted(withheld)
            ),
            "",
            ("Whoever holds an article can restore its words into a local copy of the release (nothing is written in "
            "the release itself, and a file whose sha256 matches no withheld article is refused):"),
            "",
            "```sh",
            "pip install stance-corpus",
            (
                f"stance-corpus release restore PATH/TO/RELEASE-{version} my-copy-of-the-article.txt "
                f"--out restored-{version}"
            ),
            "```",
            "",
            "```python",
            "from pathlib import Path",
            "",
            "from stance_corpus.corpus.release.withhold import restore_release",
            "",
            (f'restore_release(Path("PATH/TO/RELEASE-{version}"), [Path("my-copy-of-the-article.txt")], '
            f'Path("restored-{version}"))'),
            "```",
            "",
            "The copy must be the article's exact text (UTF-8, the same line ends) that the hash identifies.",
        ]
    else:
        lines.append("None: every text of this release is included.")
    lines += [
        "",
        "## Citation",
        "",
        "```bibtex",
        citation,
        "```",
        "",
        "## Contact",
        "",
        publishing.contact,
        "",
        "## Croissant",
        "",
        (f"`{CROISSANT_FILE}` describes this release in the [Croissant](https://mlcommons.org/croissant/) format (its "
        "files with their sha256, one record set per config, the splits); `mlcroissant validate --jsonld "
        f"{CROISSANT_FILE}` checks it."),
    ]
    return "\n".join(lines)


def card_description(body: str) -> str:
    """The first paragraph of the card's "Dataset summary" section, on one line."""
    section = body.partition("\n## Dataset summary\n")[2].partition("\n## ")[0]
    paragraph = section.strip().split("\n\n")[0]
    return " ".join(paragraph.split())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")

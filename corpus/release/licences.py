"""Licences of the texts in a release: which may be republished, what the Hub's card header says, and the
LICENSE.md and ATTRIBUTION.md files that travel with a publishable release (docs/releases.md, "Licences").

An article's catalogue `license` is an SPDX identifier where one exists (`OGL-UK-3.0`, `CC-BY-3.0-AU`), a
`LicenseRef-` of this module for what SPDX lacks, or free text. Only an article whose licence is a known licence that
allows republishing is released with its words; every other text (free text, "unknown: ...") is withheld. Unknown
means withheld: nothing is republished on a guess.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from stance_corpus.corpus.schema import Article

# The Hub's `license_name` when the licences have no single Hub identifier (`license: other`), and the file it links.
MIXED_LICENSE_NAME = "per-article-licences"
LICENSE_FILE = "LICENSE.md"
ATTRIBUTION_FILE = "ATTRIBUTION.md"


@dataclass(frozen=True, slots=True)
class Licence:
    """A licence the release knows: its name and terms, its Hub identifier (None when the Hub has none), whether it
    lets anyone republish the text, and whether it requires an attribution statement."""

    id: str
    name: str
    url: str
    hub_id: str | None
    redistributable: bool
    attribution: bool


KNOWN_LICENCES: dict[str, Licence] = {
    licence.id: licence
    for licence in (
        Licence(
            "LicenseRef-Public-Domain-US-Government",
            "Public domain: a work of the U.S. federal government (17 U.S.C. 105)",
            "https://www.usa.gov/government-works",
            None,
            True,
            False,
        ),
        Licence(
            "OGL-UK-3.0",
            "Open Government Licence v3.0",
            "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
            None,
            True,
            True,
        ),
        Licence(
            "CC-BY-3.0-AU",
            "Creative Commons Attribution 3.0 Australia",
            "https://creativecommons.org/licenses/by/3.0/au/",
            None,
            True,
            True,
        ),
        Licence(
            "CC-BY-3.0",
            "Creative Commons Attribution 3.0 Unported",
            "https://creativecommons.org/licenses/by/3.0/",
            "cc-by-3.0",
            True,
            True,
        ),
        Licence(
            "CC-BY-4.0",
            "Creative Commons Attribution 4.0 International",
            "https://creativecommons.org/licenses/by/4.0/",
            "cc-by-4.0",
            True,
            True,
        ),
        Licence(
            "CC-BY-SA-4.0",
            "Creative Commons Attribution-ShareAlike 4.0 International",
            "https://creativecommons.org/licenses/by-sa/4.0/",
            "cc-by-sa-4.0",
            True,
            True,
        ),
        Licence(
            "CC0-1.0",
            "Creative Commons Zero v1.0 Universal",
            "https://creativecommons.org/publicdomain/zero/1.0/",
            "cc0-1.0",
            True,
            False,
        ),
    )
}
REDISTRIBUTABLE: frozenset[str] = frozenset(lid for lid, licence in KNOWN_LICENCES.items() if licence.redistributable)


def is_redistributable(article: Article, allowed: frozenset[str] = REDISTRIBUTABLE) -> bool:
    """Whether the article's text may be republished: its licence is one of `allowed` (known licence ids)."""
    return article.license in allowed


def hub_license_keys(text_licences: Iterable[str], labels_licence: str) -> dict[str, object]:
    """The card header's licence keys (the Hub's dataset card spec) for the licences of the released texts and of
    the labels: `license: [ids]` when every one has a Hub id, else `other` with `license_name` and `license_link`."""
    ids = {*text_licences, labels_licence}
    hub_ids = {KNOWN_LICENCES[lid].hub_id if lid in KNOWN_LICENCES else None for lid in ids}
    if None not in hub_ids:
        return {"license": sorted(hub_ids)}  # type: ignore[type-var]
    return {"license": "other", "license_name": MIXED_LICENSE_NAME, "license_link": LICENSE_FILE}


def licence_label(licence_id: str) -> str:
    """A licence for people: its name and identifier when known, the catalogue's words otherwise."""
    known = KNOWN_LICENCES.get(licence_id)
    return f"{known.name} (`{known.id}`)" if known else licence_id


def licence_file(version: str, articles: Iterable[Article], included: set[str], labels_licence: str) -> str:
    """LICENSE.md of a release: the licence of the labels, and per licence of the texts its terms and articles."""
    labels = KNOWN_LICENCES[labels_licence]
    per_licence: dict[str, list[Article]] = defaultdict(list)
    for article in articles:
        per_licence[article.license].append(article)
    lines = [
        f"# Licences of release {version}",
        "",
        ("This release holds texts under several licences: each row of the `articles` config names its own in the "
        "`license` column, and the table below lists them. A text whose licence does not let anyone republish it is "
        "withheld: its rows keep ids, offsets, labels and the sha256 of the text, and its text columns are null "
        "(README.md, \"Withheld texts\")."),
        "",
        (f"The labels (sentence and actor stances, actor spans, types and ids, and the annotators' raw labels) are "
        f"released under the {labels.name} (`{labels.id}`): {labels.url}"),
        "",
        "| licence of the text | articles | text in this release | terms |",
        "|---|---:|---|---|",
    ]
    for licence_id in sorted(per_licence):
        members = per_licence[licence_id]
        shown = sum(article.id in included for article in members)
        where = "yes" if shown == len(members) else "withheld" if shown == 0 else f"{shown} of {len(members)}"
        known = KNOWN_LICENCES.get(licence_id)
        url = known.url if known else "-"
        lines.append(f"| {_cell(licence_label(licence_id))} | {len(members)} | {where} | {url} |")
    lines += ["", f"Attribution statements of the republished texts: {ATTRIBUTION_FILE}.", ""]
    return "\n".join(lines)


def attribution_file(version: str, articles: Iterable[Article], included: set[str]) -> str:
    """ATTRIBUTION.md of a release: for each source and licence of the republished texts, the attribution statement
    recorded with its articles, the licence and its link, and the articles it covers."""
    groups: dict[tuple[str, str, str], list[Article]] = defaultdict(list)
    for article in articles:
        if article.id in included:
            groups[(article.source or "(source not recorded)", article.license, article.attribution or "")].append(
                article
            )
    lines = [
        f"# Attribution of the texts in release {version}",
        "",
        ("The texts below are republished unchanged (the release only splits them into segments and adds labels). "
        "For each source: the attribution statement recorded for its articles, the licence they are used under and "
        "the articles it covers."),
    ]
    for (source, licence_id, statement), members in sorted(groups.items()):
        known = KNOWN_LICENCES.get(licence_id)
        lines += ["", f"## {source}", "", f"Licence: {licence_label(licence_id)}" + (f", {known.url}" if known else "")]
        if statement:
            lines += ["", *(f"> {line}" if line else ">" for line in statement.splitlines())]
        elif known and known.attribution:
            lines += ["", "> (no attribution statement was recorded for these articles; the licence asks for one)"]
        lines += ["", "Articles:", ""]
        lines += [
            f"- `{article.id}`: {article.title or '(no title)'}" + (f" <{article.url}>" if article.url else "")
            for article in sorted(members, key=lambda article: article.id)
        ]
    return "\n".join([*lines, ""])


def licence_summary(articles: Mapping[str, Article], included: set[str]) -> list[tuple[str, str, int, int]]:
    """(source, licence, articles, articles with text) per source and licence, sorted."""
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for article in articles.values():
        entry = counts[(article.source or "(source not recorded)", article.license)]
        entry[0] += 1
        entry[1] += article.id in included
    return [(source, licence, total, shown) for (source, licence), (total, shown) in sorted(counts.items())]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")

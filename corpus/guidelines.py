"""The annotation guidelines: the "Annotation guidelines" section of the dataset card, and its freeze record.

A guidelines version is frozen before the first sentence is labelled under it: the card's "Guidelines version"
section records the commit that holds the section and its sha256 (`scripts/freeze_guidelines.py` writes both). After
that the section never changes: `freeze_problem` says when it did (tests/test_dataset_card.py, and the build of a
publishable release, check it).

    ## Annotation guidelines          <- the section (Label Studio shows it as the project instructions)
    ...
    - Frozen at commit: `<40 hex digits>` (or `not frozen yet`)
    - sha256 of the "Annotation guidelines" section: `<64 hex digits>` (or `not frozen yet`)
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

GUIDELINES_HEADING = "## Annotation guidelines"
NOT_FROZEN = "not frozen yet"
_SECTION = re.compile(rf"^{re.escape(GUIDELINES_HEADING)}[ \t]*\n(.*?)(?=^## |\Z)", re.MULTILINE | re.DOTALL)
_COMMIT_LINE = re.compile(r"^- Frozen at commit: `([^`]*)`$", re.MULTILINE)
_DIGEST_LINE = re.compile(r'^- sha256 of the "Annotation guidelines" section: `([^`]*)`$', re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Freeze:
    """The freeze record of a card: the commit and the sha256 of the guidelines section, None while not frozen."""

    commit: str | None
    sha256: str | None


def guidelines_section(card: str) -> str | None:
    """The text of the card's "Annotation guidelines" section (its heading excluded), or None when it has none."""
    match = _SECTION.search(card)
    return match.group(1) if match else None


def guidelines_digest(card: str) -> str:
    """sha256 of the guidelines section's UTF-8 text."""
    section = guidelines_section(card)
    if section is None:
        raise ValueError(f"the card has no '{GUIDELINES_HEADING}' section")
    return hashlib.sha256(section.encode("utf-8")).hexdigest()


def freeze_record(card: str) -> Freeze | None:
    """The card's freeze record, or None when the card has none (a card of guidelines 1.0)."""
    commit, digest = _COMMIT_LINE.search(card), _DIGEST_LINE.search(card)
    if not commit or not digest:
        return None
    return Freeze(
        commit=None if commit.group(1) == NOT_FROZEN else commit.group(1),
        sha256=None if digest.group(1) == NOT_FROZEN else digest.group(1),
    )


def freeze_problem(card: str) -> str | None:
    """Why the card's guidelines break their freeze record (None when they keep it, or are not frozen)."""
    record = freeze_record(card)
    if record is None or (record.commit is None and record.sha256 is None):
        return None
    if record.commit is None or record.sha256 is None or not re.fullmatch(r"[0-9a-f]{40}", record.commit):
        return "the freeze record needs both a 40-digit commit and the section's sha256"
    if guidelines_digest(card) != record.sha256:
        return (
            f"the guidelines were frozen at commit {record.commit[:12]} (sha256 {record.sha256[:12]}...) and have "
            "changed since: a frozen version is never edited; write the change as the next version after the release"
        )
    return None


def with_freeze(card: str, commit: str, digest: str) -> str:
    """The card with its freeze record set to `commit` and `digest`."""
    if freeze_record(card) is None:
        raise ValueError("the card has no freeze record lines (its 'Guidelines version' section)")
    card = _COMMIT_LINE.sub(f"- Frozen at commit: `{commit}`", card, count=1)
    return _DIGEST_LINE.sub(f'- sha256 of the "Annotation guidelines" section: `{digest}`', card, count=1)


def guideline_rules(card: str, other_targets: tuple[str, ...] = ()) -> list[str]:
    """The rules an adjudicator's decision can rest on: the `###` headings of the card's "Annotation guidelines"
    section, in card order, less `other_targets` (the headings of the other targets' own sections)."""
    section = guidelines_section(card)
    if section is None:
        raise ValueError(f"the card has no '{GUIDELINES_HEADING}' section")
    headings = [match.group(1).strip() for match in re.finditer(r"^### (.+?)[ \t]*$", section, re.MULTILINE)]
    return [heading for heading in headings if heading not in other_targets]

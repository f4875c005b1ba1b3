"""Annotator pseudonyms: a release names annotators by pseudonym, never by the email Label Studio knows them by.

    STORE/pseudonyms.json   {"annotator as in the store": "pseudonym"}; part of the store, never of a release

`assign_pseudonyms` (run by `stance-corpus pull`) gives each annotator of the store who has none the next
`annotator-N` (new annotators in sorted order) and saves it, so a pseudonym never changes once given; commit the
file with the store. The file may be written by hand too (pseudonyms chosen elsewhere).

`release_names` is what a release build applies: with the file, every annotator must have a pseudonym there;
without it, annotator ids that look like emails stop the build, except for a version pinned in released.json,
which is rebuilt from its commit as it was released (1.0.0 predates pseudonyms). The seed store's file keeps its
two passes' placeholder addresses (`annotator-a@stance-corpus.local`, no one's email) as their pseudonyms, the
names 1.0.0 gives them, so later releases name them the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from stance_corpus.corpus.errors import InputError, ReleaseError
from stance_corpus.corpus.files import write_text_atomic
from stance_corpus.corpus.schema import GOLD_ANNOTATOR

PSEUDONYMS_FILE = "pseudonyms.json"
PREFIX = "annotator-"


def read_pseudonyms(path: Path) -> dict[str, str] | None:
    """The saved pseudonyms (None when there is no file), checked: strings, a different one per annotator."""
    if not path.exists():
        return None
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(path, f"not valid JSON ({error})") from error
    if not isinstance(saved, dict) or not all(isinstance(name, str) and name for name in saved.values()):
        raise InputError(path, "must be one JSON object mapping each annotator to a non-empty pseudonym string")
    names = list(saved.values())
    doubled = sorted({name for name in names if names.count(name) > 1})
    if doubled:
        raise InputError(path, f"pseudonym(s) {doubled} given to several annotators")
    return saved


def assign_pseudonyms(store: Path, annotators: Iterable[str]) -> list[str]:
    """Give every annotator without a pseudonym the next `annotator-N`, saved in STORE/pseudonyms.json; returns
    the annotators that got one now."""
    path = store / PSEUDONYMS_FILE
    saved = read_pseudonyms(path) or {}
    new = sorted(set(annotators) - saved.keys() - {GOLD_ANNOTATOR})
    if new:
        taken = set(saved.values())
        number = max((int(m.group(1)) for n in taken if (m := re.fullmatch(rf"{PREFIX}(\d+)", n))), default=0)
        for annotator in new:
            number += 1
            while f"{PREFIX}{number}" in taken:
                number += 1
            saved[annotator] = f"{PREFIX}{number}"
        write_text_atomic(path, json.dumps(saved, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    return new


def release_names(store: Path, annotators: Iterable[str], pinned: bool) -> dict[str, str]:
    """annotator -> the name a release gives them (see the module docstring); ReleaseError when an annotator would
    be released by email or has no pseudonym in the file."""
    annotators = set(annotators)
    path = store / PSEUDONYMS_FILE
    saved = read_pseudonyms(path)
    if saved is None:
        emails = sorted(a for a in annotators if "@" in a)
        if emails and not pinned:
            raise ReleaseError(
                path,
                f"missing, so the release would name annotators by email ({emails[0]}"
                f"{' and more' if len(emails) > 1 else ''}): `stance-corpus pull` writes it, or write it by hand",
            )
        return {annotator: annotator for annotator in annotators}
    missing = sorted(annotators - saved.keys())
    if missing:
        raise ReleaseError(
            path,
            f"no pseudonym for annotator {missing[0]}{' and more' if len(missing) > 1 else ''}: "
            "`stance-corpus pull` adds them, or add them by hand",
        )
    return {annotator: saved[annotator] for annotator in annotators}

"""Annotator pseudonyms: a release names annotators by pseudonym, never by the email Label Studio knows them by.

    STORE/pseudonyms.json   {"annotator as in the store": "pseudonym"}; kept with the store, never in a release

A pseudonym is given once, to each annotator the first release sees (`annotator-1`, `annotator-2`, ... in the
sorted order of the annotators new to that release) and saved, so it stays the same in every later release. The
file may be edited by hand before a first release (for example to keep pseudonyms chosen elsewhere); an annotator's
pseudonym must not change once released. A version pinned in released.json is rebuilt as it was released, without
this step. The seed store maps its two annotation passes to the placeholder addresses they were recorded under
(`annotator-a@stance-corpus.local`: no one's email), the names 1.0.0 gives them, so later releases give the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.files import write_text_atomic

PSEUDONYMS_FILE = "pseudonyms.json"
PREFIX = "annotator-"


def read_pseudonyms(path: Path) -> dict[str, str]:
    """The saved pseudonyms (empty when the file does not exist yet), checked: strings, one per annotator."""
    if not path.exists():
        return {}
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(path, f"not valid JSON ({error})") from error
    if not isinstance(saved, dict) or not all(isinstance(v, str) and v for v in saved.values()):
        raise InputError(path, "must be one JSON object mapping each annotator to a non-empty pseudonym string")
    doubled = sorted({name for name in saved.values() if list(saved.values()).count(name) > 1})
    if doubled:
        raise InputError(path, f"pseudonym(s) {doubled} given to several annotators")
    return saved


def pseudonyms(store: Path, annotators: Iterable[str]) -> dict[str, str]:
    """Each annotator's pseudonym: the saved one, or a new `annotator-N` saved now in STORE/pseudonyms.json."""
    path = store / PSEUDONYMS_FILE
    saved = read_pseudonyms(path)
    new = sorted(set(annotators) - saved.keys())
    if new:
        taken = set(saved.values())
        numbers = [int(m.group(1)) for name in taken if (m := re.fullmatch(rf"{PREFIX}(\d+)", name))]
        number = max(numbers, default=0)
        for annotator in new:
            number += 1
            while f"{PREFIX}{number}" in taken:
                number += 1
            saved[annotator] = f"{PREFIX}{number}"
        write_text_atomic(path, json.dumps(saved, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    return saved

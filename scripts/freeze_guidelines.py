"""Freeze the annotation guidelines before labelling starts: record, in the card's "Guidelines version" section, the
commit that holds them and the sha256 of their section (corpus/guidelines.py).

    .venv/bin/python scripts/freeze_guidelines.py [--card DATASET_CARD.md]

The card must be committed unchanged (the recorded commit must hold exactly these guidelines). Writes the card;
commit it ("Freeze guidelines 2.0") before the first annotation pass. Refuses guidelines that are already frozen.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from stance_corpus.corpus.files import write_text_atomic
from stance_corpus.corpus.guidelines import freeze_record, guidelines_digest, with_freeze


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--card", type=Path, default=Path("DATASET_CARD.md"))
    args = parser.parse_args(argv)
    card_path: Path = args.card
    try:
        card = card_path.read_text(encoding="utf-8")
        record = freeze_record(card)
        if record is None:
            raise ValueError(f"{card_path}: no freeze record lines (its 'Guidelines version' section)")
        if record.commit is not None:
            raise ValueError(f"{card_path}: the guidelines are frozen already (commit {record.commit[:12]})")
        folder = card_path.resolve().parent
        changed = _git(folder, "status", "--porcelain", "--", card_path.name)
        if changed.strip():
            raise ValueError(f"{card_path}: has uncommitted changes: commit the guidelines first, then freeze them")
        commit = _git(folder, "rev-parse", "HEAD").strip()
        digest = guidelines_digest(card)
    except (OSError, ValueError) as error:
        print(f"freeze_guidelines: error: {error}", file=sys.stderr)
        return 1
    write_text_atomic(card_path, with_freeze(card, commit, digest))
    print(f"{card_path}: guidelines frozen at commit {commit} (sha256 {digest}); commit the card now")
    return 0


def _git(folder: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ValueError(f"`git {' '.join(args)}` failed in {folder}: {result.stderr.strip()}")
    return result.stdout


if __name__ == "__main__":
    sys.exit(main())

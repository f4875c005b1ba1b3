"""`stance-corpus ingest`: argument parsing and the report; the work is `corpus.ingest.importer.ingest`.

Nothing heavy is imported until the command runs (trafilatura, datasketch and pyarrow load in `run_ingest`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from stance_corpus.corpus.ingest.duplicates import DEFAULT_NEAR_THRESHOLD
from stance_corpus.corpus.schema import ImportReport

SEEDS_FOLDER = "seeds"  # a project's seed folder (the default of the project config's paths.seeds)
# The --NAME-field options, also the keys of the project config's [ingest.fields] (corpus.project.INGEST_FIELDS);
# "date" is the FieldMap's `published`.
_FIELD_OPTIONS = ("text", "html", "title", "date", "url", "id", "license", "language", "source", "author")
_FIELD_ATTRIBUTES = {"date": "published"}


def add_ingest_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Mount `stance-corpus ingest`."""
    ingest = subparsers.add_parser(
        "ingest",
        help="import articles from HTML pages, WARC archives, JSONL, CSV or parquet dumps into the project's seeds",
        description="Import articles into the project's seed folder (texts and catalogue lines). SOURCE is a folder "
        "(every file of a type below, recursively), a glob, a file (.txt, .html/.htm, .warc/.warc.gz, .jsonl, .json, "
        ".csv, .parquet; .gz versions too) or - for JSON lines on standard input. Pages go through trafilatura. "
        "Dates, languages and URLs are checked: a bad value is reported and stored as null. Exact and near "
        "duplicates (also of articles already there) are reported and not imported. Nothing is written unless the "
        "whole import succeeds (docs/ingest.md).",
    )
    ingest.add_argument("sources", nargs="+", metavar="SOURCE")
    ingest.add_argument("--project", type=Path, default=Path(), metavar="DIR", help="the project folder (default: .)")
    ingest.add_argument("--license", metavar="TEXT", help="the licence of every record that does not state its own")
    ingest.add_argument("--language", metavar="TAG", help="the BCP 47 language of records without one (e.g. en)")
    ingest.add_argument(
        "--attribution",
        metavar="TEXT",
        help="the attribution statement the licence asks for (OGL, CC BY), for every record; @FILE reads it from FILE",
    )
    ingest.add_argument(
        "--target",
        action="append",
        metavar="ID",
        help="a target id of the project the articles are annotated for (repeatable; default: the project's "
        "default targets)",
    )
    names = ingest.add_argument_group("field names of JSON, CSV and parquet records (defaults: docs/ingest.md)")
    for name in _FIELD_OPTIONS:
        names.add_argument(f"--{name}-field", metavar="NAME")
    ingest.add_argument(
        "--near-threshold",
        type=_threshold,
        default=DEFAULT_NEAR_THRESHOLD,
        metavar="T",
        help=f"MinHash Jaccard estimate from which a text is a near duplicate (default {DEFAULT_NEAR_THRESHOLD}); "
        "0 looks for exact duplicates only",
    )
    ingest.add_argument("--skip-bad", action="store_true", help="report bad records and import the rest")
    ingest.add_argument("--dry-run", action="store_true", help="print the report; write nothing")
    ingest.add_argument("--json", action="store_true", help="print the report as one JSON object")
    ingest.add_argument("--workers", type=int, default=1, metavar="N", help="extraction processes (default 1)")
    ingest.set_defaults(run=run_ingest)


def run_ingest(args: argparse.Namespace) -> None:
    """Run the import and print its report."""
    from stance_corpus.corpus.errors import InputError
    from stance_corpus.corpus.ingest.importer import IngestOptions, ingest
    from stance_corpus.corpus.ingest.readers import DEFAULT_FIELDS
    from stance_corpus.corpus.ingest.records import SourceDefaults
    from stance_corpus.corpus.metadata import field_problem

    if args.language and (problem := field_problem("language", args.language)):
        raise InputError("--language", problem)
    if args.workers < 1:
        raise InputError("--workers", f"{args.workers} must be 1 or more")
    from stance_corpus.corpus.project import CONFIG_FILE, IngestSettings, load_project

    # The project's seed folder (stance-corpus.toml's paths.seeds), or seeds/ of a folder that is no project yet.
    is_project = (args.project / CONFIG_FILE).is_file()
    project = load_project(args.project) if is_project else None
    settings = project.ingest if project else IngestSettings()  # its [ingest] table; the flags override it
    attribution: str | None = None
    if args.attribution:
        attribution = _attribution(args.attribution, Path())
    elif settings.attribution:
        attribution = _attribution(settings.attribution, args.project)
    configured = DEFAULT_FIELDS.with_lists(**{_FIELD_ATTRIBUTES.get(key, key): names for key, names in settings.fields})
    fields = configured.with_names(
        **{_FIELD_ATTRIBUTES.get(name, name): getattr(args, f"{name}_field") for name in _FIELD_OPTIONS}
    )
    targets = tuple(args.target or ())
    if targets:
        if project is None:
            raise InputError(args.project / CONFIG_FILE, "--target needs a project (stance-corpus init DIR)")
        project.select_targets(targets)  # each one a target of the project
        if len(set(targets)) != len(targets):
            raise InputError("--target", "a target is given twice")
    else:
        targets = settings.targets
    options = IngestOptions(
        fields=fields,
        defaults=SourceDefaults(
            license=args.license or settings.license,
            language=args.language or settings.language,
            attribution=attribution,
            targets=targets,
        ),
        near_threshold=args.near_threshold or None,
        skip_bad=args.skip_bad,
        dry_run=args.dry_run,
        workers=args.workers,
    )
    seeds = project.seeds if project else args.project / SEEDS_FOLDER
    with _progress_bar() as progress:
        report = ingest(args.sources, seeds, options, progress)
    if args.json:
        plain = asdict(report)
        plain["counts"] = _counts(report)
        print(json.dumps(plain, ensure_ascii=False))
    else:
        print_report(report)


def _attribution(value: str, base: Path) -> str:
    """An attribution statement: the text itself, or for `@FILE` the file's text (FILE relative to `base`)."""
    from stance_corpus.corpus.errors import InputError

    if not value.startswith("@"):
        return value
    path = base / value[1:]
    try:
        attribution = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(path, f"cannot read the attribution: {error}") from error
    if not attribution:
        raise InputError(path, "the attribution file is empty")
    return attribution


def print_report(report: ImportReport) -> None:
    """The report for people: counts, the duplicate groups, the values stored as null, the rejected records."""
    counts = _counts(report)
    print(
        f"ingest: {counts['read']} read, {counts['imported']} imported, {counts['duplicates']} duplicates, "
        f"{counts['already']} already in the project, {counts['rejected']} rejected, "
        f"{counts['skipped']} skipped (not HTML responses)"
    )
    where = Path(report.catalogue).parent
    if report.dry_run:
        print(f"dry run: nothing written to {where}")
    else:
        print(f"wrote {counts['imported']} article(s) to {where} (catalogue {report.catalogue})")
    if report.duplicates:
        print("duplicates (the kept article, then each record not imported: kind, similarity, id, origin):")
        for group in report.duplicates:
            print(f"  kept {group.kept} ({group.kept_origin})")
            for member in group.dropped:
                print(f"    {member.kind:5} {member.similarity:.3f}  {member.id}  {member.origin}")
    if report.nulled:
        print("values stored as null:")
        for problem in report.nulled:
            print(f"  {problem.origin}: {problem.problem}")
    if report.rejected:
        print("rejected (not imported):")
        for problem in report.rejected:
            print(f"  {problem.origin}: {problem.problem}")


def _counts(report: ImportReport) -> dict[str, int]:
    return {
        "read": report.read,
        "imported": len(report.imported),
        "duplicates": report.duplicate_count,
        "already": report.already,
        "rejected": len(report.rejected),
        "skipped": report.skipped,
    }


class _progress_bar:
    """A tqdm bar on stderr with the running counts (shown only on a terminal), as a progress callback."""

    def __enter__(self) -> Callable[[dict[str, int]], None]:
        from tqdm import tqdm

        self.bar = tqdm(desc="ingest", unit=" records", disable=None, file=sys.stderr, leave=False)
        return self.update

    def update(self, counts: dict[str, int]) -> None:
        self.bar.update(1)
        if self.bar.n % 16 == 0 or self.bar.n < 16:
            self.bar.set_postfix(
                imported=counts["imported"], duplicates=counts["duplicates"], rejected=counts["rejected"],
                refresh=False,
            )

    def __exit__(self, *exc: object) -> None:
        self.bar.close()


def _threshold(value: str) -> float:
    try:
        threshold = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not 0 <= threshold <= 1:
        raise argparse.ArgumentTypeError(f"{threshold} is not between 0 and 1")
    return threshold

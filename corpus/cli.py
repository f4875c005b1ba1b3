"""`stance-corpus init`, `segment`, `release` and `publish`: argument parsing only; the work is in plain functions.

Every command but `init` takes `--project DIR` (default: the current folder), the corpus project whose
`stance-corpus.toml` it reads (stance_corpus/cli.py adds the option to each).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from stance_corpus.corpus.articles import iter_articles
from stance_corpus.corpus.files import output_folder
from stance_corpus.corpus.ingest.cli import add_ingest_command
from stance_corpus.corpus.jsonl import write_jsonl
from stance_corpus.corpus.orphans import RETIRED_FILE, find_orphans, orphan_report, retire_orphans
from stance_corpus.corpus.project import CONFIG_FILE, init_project, load_project
from stance_corpus.corpus.schema import Segment
from stance_corpus.corpus.segment import DEFAULT_CONFIG, segment_article


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Mount `init`, `segment`, `ingest`, `release` (with its actions) and `publish` on the `stance-corpus` parser."""
    init = subparsers.add_parser(
        "init",
        help="create a new corpus project: config, empty seeds catalogue and actor registry, card, changelog",
        description=f"Create the corpus project DIR: {CONFIG_FILE} (name, labels, actor types, targets: edit it), "
        "an empty seeds catalogue and actor registry, a dataset card with the guidelines' sections and a "
        "changelog. Every other command then works on it with --project DIR. Refuses to overwrite any file.",
    )
    init.add_argument("folder", type=Path, metavar="DIR")
    init.add_argument("--name", help="the corpus name (default: the folder's name)")
    init.set_defaults(run=run_init, takes_project=False)

    segment = subparsers.add_parser(
        "segment",
        help="split seed articles into segments, one JSON object a line on stdout",
        description="Split seed articles into headline, note, heading, body and boilerplate segments with exact "
        "character offsets. PATH is a seed folder (with articles.jsonl) or a .txt file of one (default: the "
        "project's seeds). Page furniture is the project's list when there is a project.",
    )
    segment.add_argument("paths", nargs="*", metavar="PATH")
    segment.add_argument(
        "--summary", action="store_true", help="print the number of articles and of segments per kind instead"
    )
    segment.set_defaults(run=run_segment)
    add_ingest_command(subparsers)
    add_orphans_command(subparsers)
    add_release_commands(subparsers)


def add_orphans_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Mount `orphans` on the `stance-corpus` parser."""
    orphans = subparsers.add_parser(
        "orphans",
        help="list annotations whose sentence was edited or removed since; --retire archives them",
        description="List the records of the project's annotation store (annotations.jsonl, gold.jsonl) whose "
        "segment is no longer in the articles of PATH (default: the project's seeds) as it was annotated (edited "
        "or removed sentences, removed articles, targets an article no longer lists): a release refuses them. "
        f"--retire moves them to {RETIRED_FILE} beside the store (appended, never deleted) and rewrites the store "
        "without them; pull does not bring a retired annotation back unless it was changed in Label Studio since.",
    )
    orphans.add_argument("paths", nargs="*", metavar="PATH", help="seed folders or .txt files")
    orphans.add_argument("--retire", action="store_true", help=f"move them to {RETIRED_FILE} beside the store")
    orphans.set_defaults(run=run_orphans)


def run_orphans(args: argparse.Namespace) -> None:
    """`stance-corpus orphans [--retire]`: list (and archive) the store records the corpus no longer holds."""
    project = load_project(args.project)
    found = find_orphans(project, args.paths)
    for line in orphan_report(found, project.store):
        print(line)
    if args.retire and found:
        archive = retire_orphans(project, found)
        print(f"retired {len(found)} annotation(s) to {archive} (nothing deleted); the store no longer holds them")


def run_init(args: argparse.Namespace) -> None:
    """`stance-corpus init DIR`: write a new project skeleton and list its files."""
    written = init_project(args.folder, args.name)
    print(f"{args.folder}: new corpus project ({len(written)} files); edit {args.folder / CONFIG_FILE} first")
    for path in written:
        print(f"  {path}")


def run_segment(args: argparse.Namespace) -> None:
    """`stance-corpus segment [PATH...]`: every segment as a JSON line on stdout, or counts with --summary."""
    if args.paths and not (args.project / CONFIG_FILE).is_file():
        paths, config, scheme = args.paths, DEFAULT_CONFIG, None  # plain seed folders need no project
    else:
        project = load_project(args.project)
        paths, config, scheme = args.paths or [project.seeds], project.segmentation, project.scheme
    segments = (segment for article in iter_articles(paths, scheme) for segment in segment_article(article, config))
    if args.summary:
        print_summary(segments)
        return
    # Through a temporary file, so that a failure half-way leaves stdout empty and memory stays flat.
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as buffer:
        write_jsonl(segments, buffer)
        buffer.seek(0)
        for chunk in iter(lambda: buffer.read(1 << 16), ""):
            sys.stdout.write(chunk)


def print_summary(segments: Iterable[Segment]) -> None:
    """Print how many articles and segments of each kind `segments` holds, in one line."""
    per_kind: Counter[str] = Counter()
    articles: set[str] = set()
    for segment in segments:
        per_kind[segment.kind.value] += 1
        articles.add(segment.article_id)
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(per_kind.items()))
    print(f"{len(articles)} article(s), {sum(per_kind.values())} segments" + (f": {kinds}" if kinds else ""))


def add_release_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Mount `release` (and its `diff` action) and `publish`."""
    release = subparsers.add_parser(
        "release",
        help="build a versioned Hugging Face dataset release under releases/ (or compare two: release diff A B)",
        description="Build <releases>/<version>/ from the project's seeds, annotation store, dataset card and the "
        "version's entry in its changelog: "
        "parquet configs, README.md, SHA256SUMS and a git repository tagged v<version>. An existing version is "
        "never overwritten; rebuilding it only checks that it is byte-identical. A version pinned in released.json "
        "is built from the inputs of its commit and must come out as released.",
    )
    release.add_argument(
        "--version", metavar="X.Y.Z", help="default: the project's version (its card's YAML header 'version')"
    )
    release.add_argument("--out", type=Path, metavar="DIR", help="default: <releases>/<version>")
    release.add_argument(
        "--schema",
        type=int,
        choices=(1, 2),
        help="release schema: 1, texts as they are; 2, publishable: texts whose licence forbids republishing "
        "withheld, licences and attribution, citation, Croissant, the same splits in every config (default: the "
        "project's, [release] schema of stance-corpus.toml). A version pinned in released.json is built in its own",
    )
    release.set_defaults(run=run_release)
    actions = release.add_subparsers(title="release commands", metavar="ACTION")
    diff = actions.add_parser(
        "diff",
        help="what changed between two releases, per config and split",
        description="Rows added, removed and relabelled between release A and release B, per config and split. "
        "A and B are release folders or versions under the project's releases folder.",
    )
    diff.add_argument("old", metavar="A")
    diff.add_argument("new", metavar="B")
    diff.set_defaults(run=run_release_diff)
    restore = actions.add_parser(
        "restore",
        help="put the words of withheld articles back into a local copy of a release, from your copies of them",
        description="Copy RELEASE (a folder or a version under releases/) to --out with the text of every withheld "
        "article whose exact text is one of the files TEXT filled in. A file whose sha256 matches no withheld "
        "article is refused; the release itself is never written to.",
    )
    restore.add_argument("release", metavar="RELEASE")
    restore.add_argument("texts", nargs="+", type=Path, metavar="TEXT")
    restore.add_argument("--out", dest="restore_out", type=Path, required=True, metavar="DIR", help="a new folder")
    restore.set_defaults(run=run_release_restore)
    lock = actions.add_parser(
        "lock",
        help="pin a built version in released.json (before publishing it), so that it is always rebuilt as is",
        description="Record in released.json the commit whose inputs built releases/VERSION, the sha256 of its files "
        "and the split of its articles and sentences, after checking that a build from that commit's inputs gives "
        "the same files. The inputs must be committed.",
    )
    lock.add_argument("lock_version", metavar="VERSION")
    lock.set_defaults(run=run_release_lock)

    publish = subparsers.add_parser(
        "publish",
        help="upload a release to the Hugging Face Hub and tag it v<version> (needs HF_TOKEN)",
        description="Upload <releases>/VERSION (or a release folder) to the Hub dataset repository OWNER/NAME, then "
        "tag that commit v<version>. A version already tagged there is refused. A new repository is private "
        "unless --public: the seed texts carry their publishers' copyright (DATASET_CARD.md, licence section). "
        "The token is read from the HF_TOKEN environment variable.",
    )
    publish.add_argument("release", metavar="VERSION")
    publish.add_argument("--repo-id", required=True, metavar="OWNER/NAME")
    publish.add_argument("--public", action="store_true", help="create the repository public (default: private)")
    publish.set_defaults(run=run_publish)


# The release modules import `datasets` (about a second); importing them only when used keeps `segment` quick.
def run_release(args: argparse.Namespace) -> None:
    """`stance-corpus release`: build (or check) releases/<version> from the current folder."""
    import datasets
    from stance_corpus.corpus.release.build import build_release

    datasets.disable_progress_bars()  # one bar per parquet file would drown the build's own progress bars
    out = args.out and output_folder(args.out)
    folder, written = build_release(load_project(args.project), args.version, out, schema=args.schema)
    print(f"{folder}: {'built' if written else 'already built, identical'}")
    print(f'load it with: datasets.load_dataset("{folder}", "sentences")')


def run_release_diff(args: argparse.Namespace) -> None:
    """`stance-corpus release diff A B`: rows added, removed and relabelled per config and split."""
    from stance_corpus.corpus.errors import ReleaseError
    from stance_corpus.corpus.release.folder import read_release, resolve_release
    from stance_corpus.corpus.release.rows import diff_tables

    if args.version or args.out:
        raise ReleaseError(
            None, "`release diff A B` compares the releases A and B: --version and --out are for a build"
        )
    releases = load_project(args.project).releases if (args.project / CONFIG_FILE).is_file() else Path("releases")
    old, new = resolve_release(args.old, releases), resolve_release(args.new, releases)
    report = diff_tables(read_release(old), read_release(new))  # before printing: a bad release prints only its error
    print(f"changes from {old} to {new}")
    for config, entries in report.items():
        columns = list(entries[0])
        widths = [max(len(column), *(len(str(entry[column])) for entry in entries)) for column in columns]
        print(f"\n{config}")
        print("  " + "  ".join(column.rjust(width) for column, width in zip(columns, widths)))
        for entry in entries:
            print("  " + "  ".join(str(entry[column]).rjust(width) for column, width in zip(columns, widths)))


def run_release_restore(args: argparse.Namespace) -> None:
    """`stance-corpus release restore RELEASE TEXT...`: a copy of a release with withheld texts put back."""
    from stance_corpus.corpus.release.folder import resolve_release
    from stance_corpus.corpus.release.withhold import restore_release

    releases = load_project(args.project).releases if (args.project / CONFIG_FILE).is_file() else Path("releases")
    result = restore_release(resolve_release(args.release, releases), args.texts, output_folder(args.restore_out))
    print(f"{result.folder}: restored {len(result.restored)} article(s): {', '.join(result.restored)}")
    if result.still_withheld:
        print(f"still withheld (no file given): {', '.join(result.still_withheld)}")


def run_release_lock(args: argparse.Namespace) -> None:
    """`stance-corpus release lock VERSION`: pin a built version in released.json."""
    import datasets
    from stance_corpus.corpus.release.lock import lock_release

    datasets.disable_progress_bars()
    path, entry = lock_release(load_project(args.project), args.lock_version)
    print(f"{path}: {entry.version} pinned to commit {entry.source_commit} ({len(entry.files)} files)")


def run_publish(args: argparse.Namespace) -> None:
    """`stance-corpus publish VERSION --repo-id OWNER/NAME`: upload a built release to the Hub, tagged."""
    from stance_corpus.corpus.release.folder import resolve_release
    from stance_corpus.corpus.release.publish import check_repo_id, publish_release

    check_repo_id(args.repo_id)  # before the release is looked for: a typo in either is named first
    releases = load_project(args.project).releases if (args.project / CONFIG_FILE).is_file() else Path("releases")
    print(publish_release(resolve_release(args.release, releases), args.repo_id, private=not args.public))

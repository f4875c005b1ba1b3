"""Entry point of the `stance-corpus` command-line tool."""

from __future__ import annotations

import argparse
import errno
import os
import signal
import sys
import threading
from importlib.metadata import version
from pathlib import Path

from stance_corpus.baselines import cli as baselines_cli
from stance_corpus.corpus import cli as corpus_cli
from stance_corpus.corpus.errors import StanceCorpusError
from stance_corpus.labeling import cli as labeling_cli
from stance_corpus.pool import cli as pool_cli

COMMAND_MODULES = [corpus_cli, labeling_cli, baselines_cli, pool_cli]
PROJECT_HELP = "the corpus project: a folder with stance-corpus.toml (default: the current folder)"
# A write that fails for want of room (stdout redirected to a full disk, or /dev/full): one line, not a traceback.
WRITE_FAILURES = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}


def build_parser() -> argparse.ArgumentParser:
    """The `stance-corpus` argument parser, with the sub-commands of corpus, labeling, baselines and pool."""
    parser = argparse.ArgumentParser(
        prog="stance-corpus",
        description="Build, annotate and release a sentence-level stance and actor corpus of news articles.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('stance-corpus')}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.add_commands(subparsers)
    _add_project_option(subparsers)
    return parser


def _add_project_option(subparsers: argparse._SubParsersAction) -> None:
    """`--project DIR` on every command (and on its own sub-commands, as in `release diff`), but `init`.

    Suppressed defaults, so that `release --project X diff A B` keeps X; main() fills in the current folder.
    """
    for command in dict.fromkeys(subparsers.choices.values()):
        if command.get_default("takes_project") is False:
            continue
        if "--project" not in command._option_string_actions:  # a command may define it itself (ingest)
            command.add_argument("--project", type=Path, default=argparse.SUPPRESS, metavar="DIR", help=PROJECT_HELP)
        for action in command._subparsers._group_actions if command._subparsers else ():
            if isinstance(action, argparse._SubParsersAction):
                _add_project_option(action)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run `stance-corpus` with `argv` (default: sys.argv[1:]); returns the exit status.

    0 on success, 1 after a StanceCorpusError (printed as one line), 130 when interrupted (Ctrl-C or SIGTERM),
    141 when stdout was closed by its reader.
    """
    args = build_parser().parse_args(argv)
    args.project = getattr(args, "project", Path())
    if threading.current_thread() is threading.main_thread():  # signal handlers can only be set there
        # SIGTERM and SIGINT both unwind like Ctrl-C, so a Label Studio server started by the command is stopped,
        # not orphaned; SIGINT explicitly, because a shell that starts us in the background makes us ignore it.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _interrupt)
    try:
        args.run(args)
        sys.stdout.flush()  # here, so that a full disk under a redirected stdout is reported like any error
    except StanceCorpusError as error:
        print(f"stance-corpus: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stance-corpus: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of stdout went away (`| head`): not an error of ours; keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as error:
        if error.errno not in WRITE_FAILURES:
            raise
        where = f" {error.filename}" if error.filename else ""
        print(f"stance-corpus: error: cannot write{where}: {error.strerror}", file=sys.stderr)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # what is left in stdout's buffer goes nowhere
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

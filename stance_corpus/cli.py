"""Entry point of the `stance-corpus` command-line tool."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from importlib.metadata import version

from stance_corpus.baselines import cli as baselines_cli
from stance_corpus.corpus import cli as corpus_cli
from stance_corpus.corpus.errors import StanceCorpusError
from stance_corpus.labeling import cli as labeling_cli
from stance_corpus.pool import cli as pool_cli

COMMAND_MODULES = [corpus_cli, labeling_cli, baselines_cli, pool_cli]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stance-corpus",
        description="Build, annotate and release a sentence-level stance and actor corpus of news articles.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('stance-corpus')}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.add_commands(subparsers)
    return parser


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if threading.current_thread() is threading.main_thread():  # signal handlers can only be set there
        # SIGTERM and SIGINT both unwind like Ctrl-C, so a Label Studio server started by the command is stopped,
        # not orphaned; SIGINT explicitly, because a shell that starts us in the background makes us ignore it.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _interrupt)
    try:
        args.run(args)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())

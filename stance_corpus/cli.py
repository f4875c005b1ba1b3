"""Entry point of the `stance-corpus` command-line tool."""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import version

import corpus.cli
from corpus.errors import StanceCorpusError

COMMAND_MODULES = [corpus.cli]


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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except StanceCorpusError as error:
        print(f"stance-corpus: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stance-corpus: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())

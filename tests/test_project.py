"""The corpus project config (`stance-corpus.toml`): loading, checking with file:line errors, the labeling config."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from stance_corpus.corpus.project import load_project
from stance_corpus.labeling.config import label_config

ROOT = Path(__file__).resolve().parents[1]


def test_the_generated_labeling_config_is_the_committed_one() -> None:
    committed = files("stance_corpus.labeling").joinpath("config.xml").read_text(encoding="utf-8")
    assert label_config(load_project(ROOT).scheme) == committed

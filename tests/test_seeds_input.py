"""Bad seed input: every case stops the run with one line naming the file and the problem, and prints nothing else.

Each fixture is a seed folder whose first article (in catalogue order) is fine and whose second is bad, so a
run that streamed output before checking everything would leave the first article's segments on stdout.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from stance_corpus.corpus import InputError, iter_articles, load_articles, load_project, segment_article
from stance_corpus.corpus.articles import CATALOGUE_NAME

# The seed article as at release 1.0.0 (a fixture: adding an article to the repository's seeds/ changes no test).
SEEDS = Path(__file__).parent / "data" / "seed_project" / "seeds"
SEED_ID = "000_b923e88ad6c5b85a"
SECOND_ID = "001_second"
SEED_META = json.loads((SEEDS / CATALOGUE_NAME).read_text(encoding="utf-8").splitlines()[0])


def run_cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "stance_corpus.cli", *map(str, args)],
        check=False,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
    )


def seed_folder(folder: Path, second_text: bytes | None, catalogue_ids: tuple[str, ...] = (SEED_ID, SECOND_ID)) -> Path:
    """The real seed as the first article, plus a second article with `second_text` (None: no text file)."""
    folder.mkdir()
    shutil.copy(SEEDS / f"{SEED_ID}.txt", folder)
    lines = [json.dumps({**SEED_META, "id": article_id, "title": None}) for article_id in catalogue_ids]
    (folder / CATALOGUE_NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")
    if second_text is not None:
        (folder / f"{SECOND_ID}.txt").write_bytes(second_text)
    return folder


def seed_bytes() -> bytes:
    return (SEEDS / f"{SEED_ID}.txt").read_bytes()


def empty(tmp_path: Path) -> tuple[Path, str]:
    return seed_folder(tmp_path / "seeds", b"  \n\n") / f"{SECOND_ID}.txt", "is empty"


def not_utf8(tmp_path: Path) -> tuple[Path, str]:
    latin1 = "Headline\n\nThe caf\u00e9 in G\u00f6ttingen was closed.\n".encode("latin-1")
    where = seed_folder(tmp_path / "seeds", latin1) / f"{SECOND_ID}.txt:3"
    return where, f"is not valid UTF-8 (byte 0xe9 at byte {len('The caf') + 1} of the line)"


def binary(tmp_path: Path) -> tuple[Path, str]:
    png_header = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"
    return seed_folder(tmp_path / "seeds", png_header) / f"{SECOND_ID}.txt", "is a binary file"


def line_without_text(tmp_path: Path) -> tuple[Path, str]:
    folder = seed_folder(tmp_path / "seeds", None)
    return folder / CATALOGUE_NAME, f"article '{SECOND_ID}' has no text file {SECOND_ID}.txt"


def text_without_line(tmp_path: Path) -> tuple[Path, str]:
    folder = seed_folder(tmp_path / "seeds", b"Headline\n\nA body sentence.\n", catalogue_ids=(SEED_ID,))
    return folder / f"{SECOND_ID}.txt", f"has no line in {folder / CATALOGUE_NAME}"


def identical_text(tmp_path: Path) -> tuple[Path, str]:
    folder = seed_folder(tmp_path / "seeds", seed_bytes())
    return folder / f"{SECOND_ID}.txt", f"same text as {folder / SEED_ID}.txt"


def catalogue_not_utf8(tmp_path: Path) -> tuple[Path, str]:
    folder = seed_folder(tmp_path / "seeds", b"Headline\n\nA body sentence.\n")
    catalogue = folder / CATALOGUE_NAME
    catalogue.write_bytes(catalogue.read_bytes().replace(b'"title": null', b'"title": "Caf\xe9"'))
    return Path(f"{catalogue}:1"), "is not valid UTF-8 (byte 0xe9 at byte"


def catalogue_bad_json(tmp_path: Path) -> tuple[Path, str]:
    folder = seed_folder(tmp_path / "seeds", b"Headline\n\nA body sentence.\n")
    catalogue = folder / CATALOGUE_NAME
    catalogue.write_text(catalogue.read_text(encoding="utf-8") + '\n{"id": "002_third", \n', encoding="utf-8")
    return Path(f"{catalogue}:4"), "not valid JSON"


def catalogue_missing_license(tmp_path: Path) -> tuple[Path, str]:
    folder = seed_folder(tmp_path / "seeds", b"Headline\n\nA body sentence.\n")
    catalogue = folder / CATALOGUE_NAME
    first, second = catalogue.read_text(encoding="utf-8").splitlines()
    second = json.dumps({key: value for key, value in json.loads(second).items() if key != "license"})
    catalogue.write_text(f"{first}\n{second}\n", encoding="utf-8")
    return Path(f"{catalogue}:2"), "field 'license' is required"


def catalogue_bad_value(field: str, value: str, problem: str) -> Callable[[Path], tuple[Path, str]]:
    """A catalogue whose second line has `value` in `field` (corpus.metadata refuses it)."""

    def case(tmp_path: Path) -> tuple[Path, str]:
        folder = seed_folder(tmp_path / "seeds", b"Headline\n\nA body sentence.\n")
        catalogue = folder / CATALOGUE_NAME
        first, second = catalogue.read_text(encoding="utf-8").splitlines()
        catalogue.write_text(f"{first}\n{json.dumps({**json.loads(second), field: value})}\n", encoding="utf-8")
        return Path(f"{catalogue}:2"), problem

    return case


def unknown_actor_type(tmp_path: Path) -> tuple[Path, str]:
    folder = seed_folder(tmp_path / "seeds", b"Headline\n\nA body sentence.\n")
    shutil.copy(Path(__file__).parent / "data" / "test_actors" / "unknown_type.jsonl", folder / "actors.jsonl")
    return Path(f"{folder / 'actors.jsonl'}:2"), "type 'PRESS' of 'cnn' is not in the scheme"


BAD_INPUTS: dict[str, Callable[[Path], tuple[Path, str]]] = {
    "catalogue_bad_date": catalogue_bad_value(
        "published", "yesterday", "field 'published': 'yesterday' is not an ISO 8601 date"
    ),
    "catalogue_bad_language": catalogue_bad_value(
        "language", "english please", "field 'language': 'english please' is not a BCP 47 language tag"
    ),
    "catalogue_bad_url": catalogue_bad_value("url", "not a url", "field 'url': 'not a url' is not an absolute URL"),
    "catalogue_impossible_date": catalogue_bad_value("published", "2016-02-30", "is not a valid date"),
    "unknown_actor_type": unknown_actor_type,
    "empty": empty,
    "not_utf8": not_utf8,
    "binary": binary,
    "line_without_text": line_without_text,
    "text_without_line": text_without_line,
    "identical_text": identical_text,
    "catalogue_not_utf8": catalogue_not_utf8,
    "catalogue_bad_json": catalogue_bad_json,
    "catalogue_missing_license": catalogue_missing_license,
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_folder_fails_with_one_line_and_no_output(tmp_path, case):
    where, problem = BAD_INPUTS[case](tmp_path)
    result = run_cli("segment", tmp_path / "seeds")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"stance-corpus: error: {where}: "), result.stderr
    assert problem in result.stderr
    assert result.stderr.count("\n") == 1


def test_summary_of_a_bad_folder_prints_nothing(tmp_path):
    where, problem = identical_text(tmp_path)
    result = run_cli("segment", tmp_path / "seeds", "--summary")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.startswith(f"stance-corpus: error: {where}: {problem}")


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_library_raises_before_the_first_article(tmp_path, case):
    where, problem = BAD_INPUTS[case](tmp_path)
    # With a project's scheme, as every command reads seeds: the folder's actor registry is checked against it too.
    articles = iter_articles([tmp_path / "seeds"], load_project(SEEDS.parent).scheme)
    with pytest.raises(InputError) as raised:
        next(articles)
    assert raised.value.where == str(where)
    assert problem in raised.value.problem


def test_missing_path(tmp_path):
    result = run_cli("segment", SEEDS, tmp_path / "nowhere")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"stance-corpus: error: {tmp_path / 'nowhere'}: no such file or folder\n"
    with pytest.raises(InputError, match="no such file or folder"):
        load_articles(tmp_path / "nowhere.txt")


def test_folder_without_catalogue(tmp_path):
    shutil.copy(SEEDS / f"{SEED_ID}.txt", tmp_path)
    result = run_cli("segment", tmp_path)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.startswith(f"stance-corpus: error: {tmp_path / CATALOGUE_NAME}: missing")


def test_same_article_id_in_two_folders(tmp_path):
    seed_folder(tmp_path / "a", b"Headline\n\nA body sentence.\n")
    seed_folder(tmp_path / "b", b"Headline\n\nAnother body sentence.\n")
    (tmp_path / "b" / f"{SEED_ID}.txt").write_text("Another headline\n\nAnother text.\n", encoding="utf-8")
    result = run_cli("segment", "a", "b", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"stance-corpus: error: b/{SEED_ID}.txt: article id '{SEED_ID}' is also the id of a/{SEED_ID}.txt: "
        "ids must differ\n"
    )


def test_catalogue_may_start_with_a_byte_order_mark(tmp_path):
    folder = seed_folder(tmp_path / "seeds", b"Headline\n\nA body sentence.\n")
    catalogue = folder / CATALOGUE_NAME
    catalogue.write_bytes(b"\xef\xbb\xbf" + catalogue.read_bytes())
    assert [article.id for article in load_articles(folder)] == [SEED_ID, SECOND_ID]


def test_naming_one_file_twice_selects_it_once():
    seeds = SEEDS
    articles = load_articles(seeds)
    assert [a.id for a in iter_articles([seeds, seeds / f"{SEED_ID}.txt", seeds])] == [a.id for a in articles]


def test_article_keeps_its_text_and_metadata():
    [article] = load_articles(SEEDS / f"{SEED_ID}.txt")
    assert article.text == seed_bytes().decode("utf-8")
    assert (article.id, article.title, article.published, article.language) == (
        SEED_ID, SEED_META["title"], None, "en"
    )


def test_a_byte_order_mark_is_not_part_of_the_text(tmp_path):
    folder = seed_folder(tmp_path / "seeds", b"\xef\xbb\xbfHeadline\n\nA body sentence.\n")
    second = load_articles(folder)[1]
    assert second.text == "Headline\n\nA body sentence.\n"
    assert next(segment_article(second)).text == "Headline"


def test_good_metadata_values_load(tmp_path):
    folder = seed_folder(tmp_path / "seeds", b"Headline\n\nA body sentence.\n")
    catalogue = folder / CATALOGUE_NAME
    first, second = catalogue.read_text(encoding="utf-8").splitlines()
    values = {"published": "2016-02-10T13:36:00-05:00", "language": "en-GB", "url": "https://www.gov.uk/news/a?b=1"}
    catalogue.write_text(f"{first}\n{json.dumps({**json.loads(second), **values})}\n", encoding="utf-8")
    second = load_articles(folder)[1]
    assert (second.published, second.language, second.url) == tuple(values.values())


def test_an_unknown_actor_type_stops_release_too(tmp_path):
    """README: a bad registry stops every command; `release` reads the seeds (and so their registry) first."""
    project = shutil.copytree(SEEDS.parent, tmp_path / "project")
    bad_registry = Path(__file__).parent / "data" / "test_actors" / "unknown_type.jsonl"
    shutil.copy(bad_registry, project / "seeds" / "actors.jsonl")
    result = run_cli("release", "--out", tmp_path / "out", cwd=project)
    assert result.returncode == 1
    assert result.stderr == (
        "stance-corpus: error: seeds/actors.jsonl:2: type 'PRESS' of 'cnn' is not in the scheme "
        "(GOVERNMENT, OPPOSITION, MILITANT, INTERNATIONAL, CIVIL_SOCIETY, MEDIA)\n"
    )
    assert not (tmp_path / "out").exists()

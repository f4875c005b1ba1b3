"""`stance-corpus ingest` end to end through the command: every source format, checked metadata, ids, duplicates,
atomic writes, and every bad input of the import issue (an error naming the file and record, or with --skip-bad a
report line). Pages go through the real trafilatura, WARC files are written and read with the real warcio."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow
import pyarrow.parquet
import pytest
from stance_corpus.corpus import load_articles, segment_article
from stance_corpus.corpus.ingest.importer import CHUNK_RECORDS, CHUNKS_PER_WORKER
from stance_corpus.corpus.ingest.records import content_id
from stance_corpus.corpus.ingest.writer import SeedWriter
from stance_corpus.corpus.schema import Article, SegmentKind
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from stance_corpus.cli import main

DATA = Path(__file__).parent / "data" / "test_ingest"
LICENSE = "CC BY 4.0"
BODY = (
    "The United Nations envoy announced a pause in the talks on Wednesday.\n\n"
    "Discussions are slated to resume on February 25 in Geneva, he told reporters.\n\n"
    "Opposition delegates cancelled a planned meeting with the envoy on Tuesday."
)


def ingest(capsys, project: Path, *args: str | Path, code: int = 0) -> str:
    """Run `stance-corpus ingest ARGS --project PROJECT` in this process; its stdout (stderr when it fails)."""
    result = main(["ingest", *map(str, args), "--project", str(project)])
    printed = capsys.readouterr()
    assert result == code, printed
    return printed.out if code == 0 else printed.err


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under a folder (hidden ones included) and its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def article(title: str = "Talks pause in Geneva", **fields) -> dict:
    return {"title": title, "text": BODY, "license": LICENSE, "language": "en", **fields}


def warc(path: Path, responses: list[tuple[str, str, bytes]]) -> Path:
    """A .warc.gz with a warcinfo record, then a request and a response for each (url, content type, body)."""
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "tests"}))
        for url, content_type, body in responses:
            request = StatusAndHeaders("GET / HTTP/1.1", [("Host", "news.example.org")], is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", http_headers=request))
            headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers)
            writer.write_record(record)
    return path


# -- formats -------------------------------------------------------------------------------------------------------


def test_html_page_imports_with_its_metadata_and_segments(tmp_path, capsys):
    out = ingest(capsys, tmp_path, DATA / "talks.html", "--license", LICENSE)
    assert out.splitlines()[0] == (
        "ingest: 1 read, 1 imported, 0 duplicates, 0 already in the project, 0 rejected, 0 skipped (not HTML responses)"
    )
    [imported] = load_articles(tmp_path / "seeds")
    assert (imported.title, imported.published, imported.author, imported.source, imported.language) == (
        "Geneva talks pause as offensive strains ceasefire hopes", "2016-02-03", "Jane Reporter", "Example News",
        "en-GB",
    )
    assert imported.url == "https://news.example.org/world/2016/02/03/geneva-talks-pause"
    assert imported.id == content_id(imported.text)
    segments = list(segment_article(imported))
    assert segments[0].kind is SegmentKind.HEADLINE and segments[0].text == imported.title
    assert next(s.text for s in segments if s.kind is SegmentKind.BODY).startswith("The United Nations envoy")
    assert not any("Privacy" in s.text or "Home" in s.text for s in segments)


def test_jsonl_csv_parquet_and_stdin_give_the_same_article(tmp_path, capsys):
    record = article(published="2016-02-10", url="https://news.example.org/a")
    write_jsonl(tmp_path / "a.jsonl", [record])
    with (tmp_path / "a.csv").open("w", encoding="utf-8", newline="") as handle:
        rows = csv.DictWriter(handle, fieldnames=list(record))
        rows.writeheader()
        rows.writerow(record)
    pyarrow.parquet.write_table(pyarrow.Table.from_pylist([record]), tmp_path / "a.parquet")
    ids = set()
    for number, source in enumerate(["a.jsonl", "a.csv", "a.parquet"]):
        project = tmp_path / f"p{number}"
        ingest(capsys, project, tmp_path / source)
        [imported] = load_articles(project / "seeds")
        ids.add((imported.id, imported.text, imported.published, imported.url))
    stdin = subprocess.run(
        [sys.executable, "-m", "stance_corpus.cli", "ingest", "-", "--project", tmp_path / "p3"],
        input=json.dumps(record) + "\n", capture_output=True, text=True, check=False,
    )
    assert stdin.returncode == 0, stdin.stderr
    [imported] = load_articles(tmp_path / "p3" / "seeds")
    ids.add((imported.id, imported.text, imported.published, imported.url))
    assert len(ids) == 1
    assert imported.text == f"Talks pause in Geneva\n\n{BODY}\n"


def test_field_mapping_flags(tmp_path, capsys):
    write_jsonl(tmp_path / "api.jsonl", [{"headline_x": "Talks pause", "story": BODY, "when": "2016-02-10",
                                          "ref": "ap-0001", "rights": LICENSE}])
    ingest(capsys, tmp_path, tmp_path / "api.jsonl", "--text-field", "story", "--title-field", "headline_x",
           "--date-field", "when", "--id-field", "ref", "--language", "en")
    [imported] = load_articles(tmp_path / "seeds")
    assert (imported.id, imported.title, imported.published, imported.license) == (
        "ap-0001", "Talks pause", "2016-02-10", LICENSE)


def test_warc_imports_html_responses_and_counts_the_other_records(tmp_path, capsys):
    page = (DATA / "talks.html").read_bytes()
    archive = warc(tmp_path / "crawl.warc.gz", [
        ("https://news.example.org/talks", "text/html; charset=utf-8", page),
        ("https://news.example.org/logo.png", "image/png", b"\x89PNG\r\n\x1a\n"),
    ])
    out = ingest(capsys, tmp_path, archive, "--license", LICENSE)
    # warcinfo, 2 requests and the image response are skipped: 4 records; 1 page read and imported.
    assert out.splitlines()[0] == (
        "ingest: 1 read, 1 imported, 0 duplicates, 0 already in the project, 0 rejected, 4 skipped (not HTML responses)"
    )
    [imported] = load_articles(tmp_path / "seeds")
    assert imported.url == "https://news.example.org/talks"  # the WARC's target URI, not the page's canonical link


def test_folder_import_of_the_shared_press_statements_then_segment(tmp_path, capsys):
    shared = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "re3d-press" / "uk-government"
    if not shared.is_dir():
        pytest.skip("the shared reference material is not beside the repository")
    out = ingest(capsys, tmp_path, shared, "--license", "Open Government Licence v3.0", "--language", "en")
    assert out.startswith("ingest: 26 read, 26 imported")
    assert main(["segment", str(tmp_path / "seeds"), "--summary"]) == 0
    assert capsys.readouterr().out.startswith("26 article(s)")


# -- ids, re-import, duplicates ------------------------------------------------------------------------------------


def test_reimport_adds_nothing_and_ids_are_stable(tmp_path, capsys):
    source = write_jsonl(tmp_path / "a.jsonl", [article(), article("Another story", text="A different story. " * 20)])
    ingest(capsys, tmp_path / "one", source)
    before = snapshot(tmp_path / "one")
    out = ingest(capsys, tmp_path / "one", source)
    assert out.splitlines()[0].startswith("ingest: 2 read, 0 imported, 0 duplicates, 2 already in the project")
    assert snapshot(tmp_path / "one") == before
    ingest(capsys, tmp_path / "two", source)
    assert sorted(a.id for a in load_articles(tmp_path / "one" / "seeds")) == sorted(
        a.id for a in load_articles(tmp_path / "two" / "seeds"))


def test_exact_and_near_duplicates_are_reported_with_the_kept_member(tmp_path, capsys):
    wire = BODY.replace("The United Nations", "GENEVA (Reuters) — The United Nations")
    records = [
        article(),
        article(text=BODY.replace("\n\n", "\n\n  ")),  # the same normalised text: exact
        article("UPDATE 1-Talks pause in Geneva", text=f"By Laura Smith, Reuters\n\n{wire}\n\n"
                "Correction: An earlier version gave the wrong day."),
        article("Aleppo offensive", text="Government forces pressed an offensive north of Aleppo this week. " * 3),
    ]
    out = ingest(capsys, tmp_path, write_jsonl(tmp_path / "a.jsonl", records), "--json")
    report = json.loads(out)
    assert report["counts"] == {"read": 4, "imported": 2, "duplicates": 2, "already": 0, "rejected": 0, "skipped": 0}
    [group] = report["duplicates"]
    assert (group["kept"], group["kept_origin"]) == (report["imported"][0][0], f"{tmp_path / 'a.jsonl'}:1")
    assert [(d["origin"], d["kind"]) for d in group["dropped"]] == [
        (f"{tmp_path / 'a.jsonl'}:2", "exact"), (f"{tmp_path / 'a.jsonl'}:3", "near")]
    assert 0.6 <= group["dropped"][1]["similarity"] < 1
    assert len(load_articles(tmp_path / "seeds")) == 2
    # Without near-duplicate detection the wire copy is imported.
    out = ingest(capsys, tmp_path / "exact", tmp_path / "a.jsonl", "--near-threshold", "0", "--json")
    assert json.loads(out)["counts"]["imported"] == 3


def test_a_near_duplicate_of_an_article_already_in_the_project_is_reported(tmp_path, capsys):
    ingest(capsys, tmp_path, write_jsonl(tmp_path / "a.jsonl", [article()]))
    copy = article("Talks pause in Geneva, envoy says", text=BODY + "\n\n(Reporting by Omar Haddad)")
    report = json.loads(ingest(capsys, tmp_path, write_jsonl(tmp_path / "b.jsonl", [copy]), "--json"))
    assert [group["kept_origin"] for group in report["duplicates"]] == ["project"]


def test_workers_give_the_same_import(tmp_path, capsys):
    records = [article(f"Story {n}", text=f"Story number {n} is about something else entirely. " * 5)
               for n in range(12)]
    source = write_jsonl(tmp_path / "a.jsonl", records)
    ingest(capsys, tmp_path / "one", source)
    ingest(capsys, tmp_path / "two", source, "--workers", "2")
    assert snapshot(tmp_path / "one") == snapshot(tmp_path / "two")


# -- writes ----------------------------------------------------------------------------------------------------------


def test_dry_run_writes_nothing(tmp_path, capsys):
    out = ingest(capsys, tmp_path, write_jsonl(tmp_path / "a.jsonl", [article()]), "--dry-run")
    assert out.splitlines()[:2] == [
        (
            "ingest: 1 read, 1 imported, 0 duplicates, 0 already in the project, 0 rejected, "
            "0 skipped (not HTML responses)"
        ),
        f"dry run: nothing written to {tmp_path / 'seeds'}",
    ]
    assert not (tmp_path / "seeds").exists()


def test_a_failed_import_leaves_the_project_as_it_was(tmp_path, capsys):
    ingest(capsys, tmp_path, write_jsonl(tmp_path / "a.jsonl", [article()]))
    before = snapshot(tmp_path)
    source = write_jsonl(tmp_path / "b.jsonl", [article("Fine", text="A fine story. " * 10), article(license=None)])
    (tmp_path / "b.jsonl").write_bytes(source.read_bytes())
    before = snapshot(tmp_path)
    err = ingest(capsys, tmp_path, source, code=1)
    assert err.startswith(f"stance-corpus: error: {source}:2: no licence")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("workers", [[], ["--workers", "2"]], ids=["one process", "workers"])
def test_interrupting_an_import_leaves_the_project_as_it_was(tmp_path, capsys, workers):
    ingest(capsys, tmp_path, write_jsonl(tmp_path / "a.jsonl", [article()]))
    before = snapshot(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "stance_corpus.cli", "ingest", "-", "--project", tmp_path, *workers],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    assert process.stdin is not None
    # Enough records for the workers' first results to come back (they take chunks), and the stream left open.
    for n in range(2 * CHUNK_RECORDS * CHUNKS_PER_WORKER + 1):
        process.stdin.write(json.dumps(article(f"Fine {n}", text=f"A fine story, number {n}. " * 10)) + "\n")
    process.stdin.flush()
    deadline = time.monotonic() + 300  # a loaded CI machine starts Python slowly
    while not list((tmp_path / "seeds").glob(".ingest-*/*.txt")) and time.monotonic() < deadline:
        time.sleep(0.05)  # until the first record is staged: the import is under way, its handlers set
    assert list((tmp_path / "seeds").glob(".ingest-*/*.txt"))
    os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C does: to the whole process group, worker processes too
    _, err = process.communicate(timeout=60)
    assert (process.returncode, err) == (130, "stance-corpus: interrupted\n")
    assert snapshot(tmp_path) == before


def test_ctrl_c_during_the_commit_is_acted_on_after_it(tmp_path, capsys, monkeypatch):
    # With --workers the pool's threads run beside the commit: the system may hand the signal to any of them.
    source = write_jsonl(tmp_path / "a.jsonl", [article(f"Story {n}", text=f"Story {n} text. " * 20) for n in range(3)])
    rename = os.rename

    def rename_and_interrupt(old, new):
        if not list((tmp_path / "seeds").glob("*.txt")):  # the first text moved in: the commit is under way
            os.kill(os.getpid(), signal.SIGINT)
        rename(old, new)

    monkeypatch.setattr(os, "rename", rename_and_interrupt)
    err = ingest(capsys, tmp_path, source, "--workers", "2", code=130)
    assert err == "stance-corpus: interrupted\n"
    assert len(load_articles(tmp_path / "seeds")) == 3
    assert not list((tmp_path / "seeds").glob(".ingest-*"))


def test_an_import_killed_during_its_commit_is_undone_by_the_next(tmp_path, capsys):
    ingest(capsys, tmp_path, write_jsonl(tmp_path / "a.jsonl", [article()]))
    before = snapshot(tmp_path)
    seeds = tmp_path / "seeds"
    # What SIGKILL between moving the texts in and replacing the catalogue leaves: a moved text, the staging folder.
    staged = Article(id="feedfacefeedface", text="Headline\n\nBody.\n", title=None, source=None, published=None,
                     url=None, language="en", license=LICENSE)
    writer = SeedWriter(seeds).__enter__()
    writer.add(staged)
    writer._catalogue.close()
    (writer._staging / "moving.txt").write_text("feedfacefeedface.txt\n", encoding="utf-8")
    os.rename(writer._staging / "feedfacefeedface.txt", seeds / "feedfacefeedface.txt")
    os.close(writer._lock)
    assert snapshot(tmp_path) != before
    out = ingest(capsys, tmp_path, tmp_path / "a.jsonl")
    assert "1 already in the project" in out
    assert snapshot(tmp_path) == before


# -- bad input -------------------------------------------------------------------------------------------------------


def test_truncated_gzip(tmp_path, capsys):
    lines = "".join(json.dumps(article(f"Story {n}", text=f"Story {n} text. " * 50)) + "\n" for n in range(40))
    data = gzip.compress(lines.encode("utf-8"))
    (tmp_path / "dump.jsonl.gz").write_bytes(data[: len(data) // 2])
    err = ingest(capsys, tmp_path, tmp_path / "dump.jsonl.gz", code=1)
    assert f"{tmp_path / 'dump.jsonl.gz'}:" in err and "truncated or corrupt gzip file" in err
    assert not (tmp_path / "seeds" / "articles.jsonl").exists()
    out = ingest(capsys, tmp_path, tmp_path / "dump.jsonl.gz", "--skip-bad")
    imported = len(load_articles(tmp_path / "seeds"))
    assert 0 < imported < 40
    assert f"ingest: {imported + 1} read, {imported} imported" in out and "truncated or corrupt gzip file" in out


def test_html_page_without_a_body(tmp_path, capsys):
    err = ingest(capsys, tmp_path, DATA / "empty_page.html", "--license", LICENSE, code=1)
    assert err == f"stance-corpus: error: {DATA / 'empty_page.html'}: no extractable article body in the page\n"


def test_jsonl_line_that_is_not_an_object(tmp_path, capsys):
    source = tmp_path / "a.jsonl"
    source.write_text(json.dumps(article()) + "\n" + '["not", "an", "object"]\n', encoding="utf-8")
    err = ingest(capsys, tmp_path, source, code=1)
    assert err == f"stance-corpus: error: {source}:2: not a JSON object (a list)\n"
    out = ingest(capsys, tmp_path, source, "--skip-bad")
    assert out.splitlines()[0].startswith(
        "ingest: 2 read, 1 imported, 0 duplicates, 0 already in the project, 1 rejected"
    )
    assert f"  {source}:2: not a JSON object (a list)" in out.splitlines()


def test_csv_without_a_text_column(tmp_path, capsys):
    source = tmp_path / "media.csv"
    source.write_text("headline,published\nTalks pause,2016-02-10\n", encoding="utf-8")
    err = ingest(capsys, tmp_path, source, "--license", LICENSE, code=1)
    assert err.startswith(f"stance-corpus: error: {source}:1: no text column (looked for text, body,")


def test_empty_text(tmp_path, capsys):
    source = write_jsonl(tmp_path / "a.jsonl", [article(text="  \n\n ")])
    assert ingest(capsys, tmp_path, source, code=1) == f"stance-corpus: error: {source}:1: empty text\n"


def test_lone_surrogates_from_json_escapes(tmp_path, capsys):
    # "\\ud83d" alone is valid JSON and decodes to half of a character, which no UTF-8 file can hold.
    source = write_jsonl(tmp_path / "a.jsonl", [article(text="A story \ud83d cut in half. " * 5),
                                                article("Half a title \udc00", text=BODY + " More.")])
    err = ingest(capsys, tmp_path, source, code=1)
    assert err == (
        f"stance-corpus: error: {source}:1: the text holds a lone surrogate ('\\ud83d' at character 9), half of a "
        "character that UTF-8 cannot write\n"
    )
    out = ingest(capsys, tmp_path, source, "--skip-bad")
    assert (
        f"  {source}:2: field 'title' holds a lone surrogate ('\\udc00' at character 14), half of a character that "
        "UTF-8 cannot write; stored as null"
    ) in out.splitlines()
    assert [(a.title, a.text.split("\n\n")[0]) for a in load_articles(tmp_path / "seeds")] == [
        (None, BODY.split("\n\n")[0])
    ]


def test_record_without_a_licence(tmp_path, capsys):
    source = write_jsonl(tmp_path / "a.jsonl", [article(license=None)])
    err = ingest(capsys, tmp_path, source, code=1)
    assert err.startswith(f"stance-corpus: error: {source}:1: no licence: give the source's with --license TEXT")
    ingest(capsys, tmp_path, source, "--license", "CC0-1.0")
    assert [a.license for a in load_articles(tmp_path / "seeds")] == ["CC0-1.0"]


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("published", "yesterday", "field 'published': 'yesterday' is not an ISO 8601 date"),
        ("url", "not a url", "field 'url': 'not a url' is not an absolute URL"),
    ],
)
def test_bad_metadata_is_reported_and_stored_as_null(tmp_path, capsys, field, value, problem):
    source = write_jsonl(tmp_path / "a.jsonl", [article(**{field: value})])
    out = ingest(capsys, tmp_path, source)
    assert [line for line in out.splitlines() if line.startswith(f"  {source}:1: ")] == [
        line for line in out.splitlines() if problem in line and line.endswith("; stored as null")]
    assert any(problem in line for line in out.splitlines())
    [imported] = load_articles(tmp_path / "seeds")
    assert getattr(imported, field) is None


def test_bad_language(tmp_path, capsys):
    source = write_jsonl(tmp_path / "a.jsonl", [article(language="english please")])
    err = ingest(capsys, tmp_path, source, code=1)
    assert err == (
        f"stance-corpus: error: {source}:1: no language: give the source's with --language TAG (BCP 47, e.g. en)\n"
    )
    out = ingest(capsys, tmp_path, source, "--language", "en")
    assert (f"  {source}:1: field 'language': 'english please' is not a BCP 47 language tag (such as en, en-GB, fr, "
            "zh-Hant); stored as null") in out.splitlines()
    assert [a.language for a in load_articles(tmp_path / "seeds")] == ["en"]
    assert ingest(capsys, tmp_path, source, "--language", "english please", code=1).startswith(
        "stance-corpus: error: --language: field 'language': 'english please' is not a BCP 47")


def test_byte_order_marks_are_stripped(tmp_path, capsys):
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbfTalks pause in Geneva\n\n" + BODY.encode("utf-8"))
    (tmp_path / "bom.jsonl").write_bytes(
        b"\xef\xbb\xbf"
        + json.dumps(
            article("\ufeffAleppo offensive", text="\ufeff" + "Government forces pressed north of Aleppo. " * 4)
        ).encode()
        + b"\n"
    )
    ingest(capsys, tmp_path, tmp_path / "bom.txt", tmp_path / "bom.jsonl", "--license", LICENSE, "--language", "en")
    articles = load_articles(tmp_path / "seeds")
    headlines = sorted(next(segment_article(a)).text for a in articles)
    assert headlines == ["Aleppo offensive", "Talks pause in Geneva"]
    assert not any("\ufeff" in a.text or "\ufeff" in (a.title or "") for a in articles)


def test_encodings_declared_in_html_meta(tmp_path, capsys):
    ingest(capsys, tmp_path / "latin", DATA / "latin_meta.html", "--license", LICENSE)
    ingest(capsys, tmp_path / "mixed", DATA / "utf8_but_meta_latin.html", "--license", LICENSE)
    [latin] = load_articles(tmp_path / "latin" / "seeds")
    [mixed] = load_articles(tmp_path / "mixed" / "seeds")
    assert latin.text == mixed.text
    assert latin.title == "Le café de Genève rouvre ses portes" and "« C’est une institution »" in latin.text
    assert latin.language == "fr"


def test_html_saved_as_txt_is_extracted_not_segmented_as_markup(tmp_path, capsys):
    (tmp_path / "page.txt").write_bytes((DATA / "talks.html").read_bytes())
    ingest(capsys, tmp_path, tmp_path / "page.txt", "--license", LICENSE)
    [imported] = load_articles(tmp_path / "seeds")
    assert "<" not in imported.text and imported.title.startswith("Geneva talks pause")


def test_unknown_file_type_and_missing_source(tmp_path, capsys):
    (tmp_path / "notes.docx").write_bytes(b"PK")
    assert ingest(capsys, tmp_path, tmp_path / "notes.docx", code=1).startswith(
        f"stance-corpus: error: {tmp_path / 'notes.docx'}: not a file type ingest reads")
    assert ingest(capsys, tmp_path, tmp_path / "missing.jsonl", code=1) == (
        f"stance-corpus: error: {tmp_path / 'missing.jsonl'}: no such file or folder\n")


def test_targets_attribution_and_the_date_of_the_url_are_recorded(tmp_path, capsys):
    assert main(["init", str(tmp_path / "corpus")]) == 0
    capsys.readouterr()
    (tmp_path / "ATTRIBUTION").write_text("Contains public sector information licensed under the OGL v3.0.\n")
    source = write_jsonl(tmp_path / "a.jsonl", [article(sourceUrl="https://www.gov.uk/government/news/2016/02/talks")])
    ingest(capsys, tmp_path / "corpus", source, "--target", "main", "--attribution", f"@{tmp_path / 'ATTRIBUTION'}")
    [imported] = load_articles(tmp_path / "corpus" / "seeds")
    assert (imported.targets, imported.attribution, imported.published) == (
        ("main",), "Contains public sector information licensed under the OGL v3.0.", "2016-02")
    err = ingest(capsys, tmp_path / "corpus", source, "--target", "elsewhere", code=1)
    config = tmp_path / "corpus" / "stance-corpus.toml"
    assert err.strip() == f"stance-corpus: error: --target: 'elsewhere' is not a target of {config} (main)"


@pytest.mark.parametrize(("url", "date"), [
    ("https://www.state.gov/r/pa/prs/ps/2016/10/262779.htm", "2016-10"),
    ("https://example.org/news/2015/08/21/story", "2015-08-21"),
    ("https://example.org/news/article/904608/", None),
    ("https://example.org/2016/13/story", None),
])
def test_url_dates(url, date):
    from stance_corpus.corpus.ingest.records import url_date

    assert url_date(url) == date


# -- the project config's [ingest] table ----------------------------------------------------------------------------

CONFIG_PROJECT = Path(__file__).parent / "data" / "test_ingest_config"


def config_project(tmp_path: Path, edit=None) -> Path:
    """A copy of the fixture project whose stance-corpus.toml has an [ingest] table (optionally edited)."""
    import shutil

    project = tmp_path / "corpus"
    shutil.copytree(CONFIG_PROJECT, project)
    if edit is not None:
        config = project / "stance-corpus.toml"
        config.write_text(edit(config.read_text(encoding="utf-8")), encoding="utf-8")
    return project


def api_records(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "api.jsonl", [
        {"headline_x": "Talks pause", "story": BODY, "when": "2016-02-10"},
        {"headline_x": "Aleppo offensive", "body": "Government forces pressed an offensive north of Aleppo. " * 3},
    ])


def test_the_project_config_names_the_fields_and_the_defaults(tmp_path, capsys):
    project = config_project(tmp_path)
    ingest(capsys, project, api_records(tmp_path))
    first, second = load_articles(project / "seeds")
    assert (first.title, first.published, first.text) == ("Talks pause", "2016-02-10", f"Talks pause\n\n{BODY}\n")
    assert second.title == "Aleppo offensive" and second.text.startswith("Aleppo offensive\n\nGovernment forces")
    for imported in (first, second):
        assert (imported.license, imported.language, imported.attribution, imported.targets) == (
            "CC BY 4.0", "en-GB", "Contains reporting by Example News, licensed under CC BY 4.0.",
            ("talks", "ceasefire"),
        )


def test_the_project_config_can_name_the_source_ids_and_a_csv_column(tmp_path, capsys):
    project = config_project(tmp_path, lambda t: t.replace('date = "when"', 'date = "when"\nid = "ref"'))
    with (tmp_path / "media.csv").open("w", encoding="utf-8", newline="") as handle:
        rows = csv.writer(handle)
        rows.writerow(["ref", "headline_x", "story", "when"])
        rows.writerow(["ap-0001", "Talks pause", BODY, "2016-02-10"])
    ingest(capsys, project, tmp_path / "media.csv")
    [imported] = load_articles(project / "seeds")
    assert (imported.id, imported.title, imported.published, imported.license) == (
        "ap-0001", "Talks pause", "2016-02-10", "CC BY 4.0")


def test_flags_override_the_project_config(tmp_path, capsys):
    project = config_project(tmp_path)
    source = write_jsonl(tmp_path / "api.jsonl", [
        {"headline_x": "Not this", "title": "Talks pause", "story": BODY, "when": "2016-02-10", "date": "2016-02-11"},
    ])
    ingest(capsys, project, source, "--license", "CC0-1.0", "--language", "fr", "--attribution", "By the wire.",
           "--target", "ceasefire", "--title-field", "title", "--date-field", "date")
    [imported] = load_articles(project / "seeds")
    assert (imported.title, imported.published, imported.license, imported.language, imported.attribution,
            imported.targets) == ("Talks pause", "2016-02-11", "CC0-1.0", "fr", "By the wire.", ("ceasefire",))


@pytest.mark.parametrize(
    ("edit", "line", "problem"),
    [
        # Line numbers read off tests/data/test_ingest_config/stance-corpus.toml.
        (lambda t: t.replace('license = "CC BY 4.0"', 'licence = "CC BY 4.0"'), 32,
         "unknown key 'licence' (known: attribution, fields, language, license, targets)"),
        (lambda t: t.replace('date = "when"', 'published = "when"'), 40,
         "unknown key 'published' (known: author, date, html, id, language, license, source, text, title, url)"),
        (lambda t: t.replace('language = "en-GB"', 'language = "english please"'), 33,
         "'english please' is not a BCP 47 language tag (such as en, en-GB, fr, zh-Hant)"),
        (lambda t: t.replace('targets = ["talks", "ceasefire"]', 'targets = ["talks", "trams"]'), 35,
         "target 'trams' is not a target id (talks, ceasefire)"),
        (lambda t: t.replace('title = "headline_x"', "title = []"), 39,
         "title must be a field name or a non-empty list of field names"),
        (lambda t: t.replace('license = "CC BY 4.0"', "license = 4"), 32, "license must be a non-empty string"),
    ],
)
def test_a_bad_ingest_table_names_its_line(tmp_path, capsys, edit, line, problem):
    project = config_project(tmp_path, edit)
    err = ingest(capsys, project, api_records(tmp_path), code=1)
    assert err == f"stance-corpus: error: {project / 'stance-corpus.toml'}:{line}: {problem}\n"
    assert not (project / "seeds" / "articles.jsonl").read_bytes()


def test_the_init_template_documents_a_working_ingest_table(tmp_path, capsys):
    assert main(["init", str(tmp_path / "corpus")]) == 0
    capsys.readouterr()
    config = tmp_path / "corpus" / "stance-corpus.toml"
    lines = config.read_text(encoding="utf-8").splitlines()
    start = lines.index("# [ingest]")
    config.write_text("\n".join(lines[:start] + [line[2:] for line in lines[start:]]) + "\n", encoding="utf-8")
    (tmp_path / "corpus" / "ATTRIBUTION").write_text("Example News, CC BY 4.0.\n", encoding="utf-8")
    source = write_jsonl(tmp_path / "api.jsonl", [{"headline": "Talks pause", "story": BODY, "pubDate": "2016-02"}])
    ingest(capsys, tmp_path / "corpus", source)
    [imported] = load_articles(tmp_path / "corpus" / "seeds")
    assert (imported.title, imported.published, imported.license, imported.language, imported.attribution,
            imported.targets) == ("Talks pause", "2016-02", "CC BY 4.0", "en", "Example News, CC BY 4.0.", ("main",))


# -- dates from the text's opening ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("opening", "date"), [
    ("WASHINGTON, Oct. 5, 2016 — The talks resumed.", "2016-10-05"),
    ("Friday, August 21, 2015\n\nThe talks resumed.", "2015-08-21"),
    ("October 5, 2016\n\nThe talks resumed.", "2016-10-05"),
    ("5 October 2016\n\nThe talks resumed.", "2016-10-05"),
    ("BAGHDAD, Iraq, 5th October, 2016 – Troops moved in.", "2016-10-05"),
    ("GENEVA (Reuters), Feb 3, 2016 - The envoy spoke.", "2016-02-03"),
    ("Published on 5 Oct 2016 10:30 BST\n\nThe talks resumed.", "2016-10-05"),
    ("Published: 2016-10-05 14:03\n\nThe talks resumed.", "2016-10-05"),
    ("By Jane Reporter\n\nMay 5, 2016: The talks resumed.", "2016-05-05"),  # after a byline
    ("Yesterday the talks resumed in Geneva.", None),  # relative words
    ("On Jan. 8, Coalition forces conducted 34 strikes.", None),  # no year
    ("The SDF began their advance, Nov. 6, 2016. The Coalition supports it.", None),  # inside a sentence
    ("Nov. 6, 2016, the SDF began their advance.", None),  # a sentence that starts with its event's date
    ("As of 29 November 2018, thirty artworks light up the city.", None),
    ("February 30, 2016\n\nThe talks resumed.", None),  # no such day
    (("The envoy announced a pause in the talks on Wednesday, after a week of meetings in Geneva with both sides.\n\n"
      "March 3, 2011: protests begin."), None),  # after the lead: a timeline's entry
])
def test_dates_from_the_opening_of_the_text(opening, date):
    from stance_corpus.corpus.ingest.records import text_date

    assert text_date(f"Talks resume\n\n{opening}\n\nMore of the story.\n") == date


def test_the_date_comes_from_the_field_then_the_url_then_the_text(tmp_path, capsys):
    dateline = "GENEVA, Feb. 3, 2016 — " + BODY
    source = write_jsonl(tmp_path / "a.jsonl", [
        article("Field", text=dateline, published="2016-02-04", url="https://example.org/2016/02/05/a"),
        article("URL", text=dateline, url="https://example.org/2016/02/05/b"),
        article("Text", text=dateline, url="https://example.org/news/c"),
        article("Date paragraph", text="October 5, 2016\n\nThe talks resumed in Geneva on a date the text gives."),
        article("Nothing", text="Yesterday, " + BODY),
    ])
    ingest(capsys, tmp_path, source, "--near-threshold", "0")
    dates = {a.title: a.published for a in load_articles(tmp_path / "seeds")}
    assert dates == {"Field": "2016-02-04", "URL": "2016-02-05", "Text": "2016-02-03", "Date paragraph": "2016-10-05",
                     "Nothing": None}

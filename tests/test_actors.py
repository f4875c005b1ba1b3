"""The actor registry, its validation, scoped aliases, the gazetteer matcher and its P/R script.

The gazetteer tests run on the seed project fixture (tests/data/seed_project: the seed article and the registry as
at release 1.0.0); two tests check this repository's own registry against its card and gold store.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from stance_corpus.corpus.actors import MentionContext, find_actor_mentions, load_actor_registry
from stance_corpus.corpus.articles import load_articles
from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.project import load_project
from stance_corpus.corpus.schema import ActorSpan, Annotation
from stance_corpus.corpus.segment import segment_article
from stance_corpus.corpus.store import GOLD_FILE, read_annotations, write_annotations

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "test_actors"
SEED_PROJECT = Path(__file__).parent / "data" / "seed_project"
PROJECT = load_project(SEED_PROJECT)
REGISTRY = PROJECT.actors
SEED = load_articles(PROJECT.seeds)[0]
IN_THE_SEED = MentionContext(target="syria_peace", article_text=SEED.text)


@pytest.fixture(scope="module")
def registry():
    return load_actor_registry(REGISTRY, PROJECT.scheme)


@pytest.fixture(scope="module")
def seed_sentences() -> list[str]:
    """The seed's segment texts: tests find a sentence by its first words, so they quote the real text."""
    return [segment.text for segment in segment_article(SEED)]


def sentence(seed_sentences: list[str], beginning: str) -> str:
    (text,) = [text for text in seed_sentences if text.startswith(beginning)]
    return text


@pytest.mark.parametrize(
    ("fixture", "line", "problem"),
    [
        ("duplicate_id.jsonl", 3, "duplicate actor id 'russia' (first on line 1)"),
        ("unknown_type.jsonl", 2, "type 'PRESS' of 'cnn' is not in the scheme"),
        ("alias_on_two_actors.jsonl", 3, "alias 'Zeid Ra’ad Al Hussein' already belongs to actor 'zeid' (line 1)"),
        ("unknown_affiliation.jsonl", 1, "affiliation 'us' of 'kerry' is not an actor id"),
    ],
)
def test_invalid_registry_names_file_line_and_problem(fixture: str, line: int, problem: str) -> None:
    with pytest.raises(InputError) as raised:
        load_actor_registry(DATA / fixture, PROJECT.scheme)
    assert raised.value.where == f"{DATA / fixture}:{line}"
    assert problem in raised.value.problem
    assert "\n" not in str(raised.value)


def test_broken_json_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "actors.jsonl"
    path.write_text(
        '{"id": "cnn", "name": "CNN", "type": "MEDIA", "affiliation": null, "aliases": ["CNN"]}\n{"id": "un",\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=rf"{path}:2: not valid JSON"):
        load_actor_registry(path, PROJECT.scheme)


def test_committed_registry_loads_with_the_scheme_types() -> None:
    project = load_project(ROOT)
    registry = load_actor_registry(project.actors, project.scheme)
    assert {actor.type for actor in registry.values()} == set(project.scheme.actor_type_names)
    assert registry["lavrov"].affiliation == "russia"
    assert registry["hnc"].type == "OPPOSITION"


# Expected mentions follow the span rules of DATASET_CARD.md ("Which words a span covers"), written out by hand.
@pytest.mark.parametrize(
    ("beginning", "expected"),
    [
        # A title directly before a name belongs to the span; one span, not "U.N." + a name.
        ("U.N. Special Envoy for Syria", [("U.N. Special Envoy for Syria Staffan de Mistura", "de_mistura")]),
        # A possessive ending stays outside; a demonym of an action is a mention of the state; places are not actors.
        (
            "Russia’s intervention",
            [
                ("Russia", "russia"),
                ("Syrian President Bashar al-Assad", "assad"),
                ("regime", "syria_gov"),
                ("Russian", "russia"),
            ],
        ),
        # "pro-regime" is not a mention of the regime; "pro-government militia" is an actor of its own. A mention may
        # end before a hyphen, so the matcher also offers "UK" of "UK-based", which the span rules leave outside (a
        # place, not an actor): annotators delete it.
        (
            "Syrian government forces, backed by",
            [
                ("Syrian government forces", "syria_gov"),
                ("pro-government militia", "pro_gov_militia"),
                ("UK", "uk"),
                ("Syrian Observatory for Human Rights", "sohr"),
            ],
        ),
        # The longest alias wins: the agency's title with its name, not "Russian" + "RIA Novosti".
        (
            "But his Russian counterpart",
            [
                ("Russian", "russia"),
                ("Foreign Minister Sergey Lavrov", "lavrov"),
                ("terrorism groups", "terror_groups"),
                ("Russian state-operated news agency RIA Novosti", "ria_novosti"),
            ],
        ),
        # A mention may end before a hyphen.
        (
            "ISIS and Jabhat al-Nusra, as U.N.",
            [("ISIS", "isis"), ("Jabhat al-Nusra", "nusra"), ("U.N. Security Council", "unsc")],
        ),
        # The registry spells "Ra'ad" with a straight apostrophe, the seed with a curly one.
        (
            "U.N. High Commissioner",
            [("U.N. High Commissioner for Human Rights Zeid Ra’ad Al Hussein", "zeid")],
        ),
        # Generic mentions ("Parties") are not actors; coordinated actors are separate spans.
        (
            "Parties have gathered",
            [
                ("government", "syria_gov"),
                ("opposition groups", "opposition"),
                ("United Nations special envoy", "de_mistura"),
            ],
        ),
        ("Discussions are slated", []),
    ],
)
def test_matcher_offsets_on_seed_sentences(registry, seed_sentences, beginning: str, expected) -> None:
    text = sentence(seed_sentences, beginning)
    mentions = find_actor_mentions(text, registry, IN_THE_SEED)
    assert [(m.text, m.actor_id) for m in mentions] == expected
    position = 0
    for mention in mentions:
        assert mention.start == text.index(mention.text, position)
        assert text[mention.start : mention.end] == mention.text
        assert mention.type == registry[mention.actor_id].type
        assert mention.stance == ""  # the annotator decides; pre-annotations carry the scheme's default
        position = mention.end


def test_matcher_accepts_either_apostrophe_and_keeps_words_whole(registry) -> None:
    text = "Zeid Ra'ad Al Hussein met Russians; the UNSC and Moscow’s envoy"
    assert [(m.text, m.actor_id, m.start) for m in find_actor_mentions(text, registry)] == [
        ("Zeid Ra'ad Al Hussein", "zeid", 0),
        ("Moscow", "russia", 49),
    ]


# Scoped aliases: "government" names a class, so it applies only where the registry says (docs/corpus.md).
NEW_ZEALAND = "The government announced a review of the rules, the minister said."


def test_a_scoped_alias_needs_its_co_occurring_name_in_the_article(registry) -> None:
    unrelated = MentionContext(target="syria_peace", article_text=f"New Zealand cuts taxes\n\n{NEW_ZEALAND}")
    assert find_actor_mentions(NEW_ZEALAND, registry, unrelated) == []
    assert find_actor_mentions(NEW_ZEALAND, registry) == []  # no context: only aliases that apply everywhere
    syrian = MentionContext(target="syria_peace", article_text=f"Assad's forces advance\n\n{NEW_ZEALAND}")
    assert [(m.text, m.actor_id) for m in find_actor_mentions(NEW_ZEALAND, registry, syrian)] == [
        ("government", "syria_gov")
    ]
    # "Assad" inside "al-Assad" is not the name as a whole word (it follows a hyphen), like every alias.
    hyphenated = MentionContext(target="syria_peace", article_text="Bashar al-Assad")
    assert find_actor_mentions(NEW_ZEALAND, registry, hyphenated) == []


def test_an_alias_scoped_to_a_target_applies_to_that_target_only(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(SEED_PROJECT, project)
    config = project / "stance-corpus.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + '\n[[targets]]\nid = "isil_campaign"\nname = "the campaign against ISIL"\ndescription = "x"\n',
        encoding="utf-8",
    )
    lines = [
        {"id": "syria_gov", "name": "Syrian government", "type": "GOVERNMENT", "affiliation": None,
         "aliases": ["Syrian government", {"alias": "government", "targets": ["syria_peace"]}]},
    ]
    registry_path = project / "seeds" / "actors.jsonl"
    registry_path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    scheme = load_project(project).scheme
    registry = load_actor_registry(registry_path, scheme)
    text = "The government spoke."
    for target, expected in (("syria_peace", ["government"]), ("isil_campaign", []), (None, [])):
        found = find_actor_mentions(text, registry, MentionContext(target=target, article_text=text))
        assert [m.text for m in found] == expected, target
    # A scope naming a target the project does not have is refused with its line.
    lines.append({"id": "un", "name": "UN", "type": "INTERNATIONAL", "affiliation": None,
                  "aliases": [{"alias": "the organisation", "targets": ["nowhere"]}]})
    registry_path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    with pytest.raises(InputError, match=r"actors.jsonl:2: alias 'the organisation' of 'un' is scoped to target "
                       r"'nowhere', which is not a target of the project"):
        load_actor_registry(registry_path, scheme)


def test_every_gold_actor_id_is_a_registry_actor_of_the_same_type() -> None:
    """A gold span names a registry actor of its own type, or none: *not in the registry* (actor id null) is the
    guidelines' choice for an actor the registry lacks, until a maintainer extends the registry."""
    project = load_project(ROOT)
    registry = load_actor_registry(project.actors, project.scheme)
    gold = read_annotations(project.store / GOLD_FILE, project.scheme)
    assert gold, "the committed gold store is empty"
    unknown = [
        f"{a.segment_id} {span.start}..{span.end} {span.text!r}: actor_id {span.actor_id!r}, type {span.type}"
        for a in gold
        for span in a.actors
        if span.actor_id is not None and (span.actor_id not in registry or registry[span.actor_id].type != span.type)
    ]
    assert unknown == [], "gold spans without a registry actor of the same type"


def test_gazetteer_script_scores_a_store(tmp_path: Path, seed_sentences) -> None:
    # A small hand-made store: two sentences spanned by the guidelines, and one where the annotator kept "main"
    # in the span (an overlap but not an exact match).
    def gold(beginning: str, spans: list[tuple[str, str, str]]) -> Annotation:
        text = sentence(seed_sentences, beginning)
        return Annotation(
            segment_id=f"seg-{seed_sentences.index(text)}",
            article_id=SEED.id,
            text=text,
            target="syria_peace",
            annotator="gold",
            stance="NONE",
            actors=tuple(
                ActorSpan(text.index(s), text.index(s) + len(s), s, actor_type, actor_id, "NONE")
                for s, actor_id, actor_type in spans
            ),
        )

    store = tmp_path / "gold.jsonl"
    write_annotations(
        store,
        [
            gold(
                "The opposition group, known as",  # predicted also: "opposition" (the description) -> extra
                [
                    ("High Negotiations Committee", "hnc", "OPPOSITION"),
                    ("Russia", "russia", "GOVERNMENT"),
                    ("Russian", "russia", "GOVERNMENT"),
                    ("regime", "syria_gov", "GOVERNMENT"),
                ],
            ),
            gold(
                "But his Russian counterpart",  # predicted also: "Russian" of "his Russian counterpart" -> extra
                [
                    ("Foreign Minister Sergey Lavrov", "lavrov", "GOVERNMENT"),
                    ("terrorism groups", "terror_groups", "MILITANT"),
                    ("Russian state-operated news agency RIA Novosti", "ria_novosti", "MEDIA"),
                ],
            ),
            gold(
                "The assault has complicated",
                [
                    ("main opposition delegation", "hnc", "OPPOSITION"),
                    ("U.N. special envoy Staffan de Mistura", "de_mistura", "INTERNATIONAL"),
                ],
            ),
        ],
    )
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gazetteer.py"), "--project", str(SEED_PROJECT),
         "--store", str(store), "--gum", "none"],
        check=False,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1] == f"gazetteer vs {store}: 3 annotations"
    # exact: 8 of 11 predicted right, 8 of 9 gold found; overlap: 9 of 11, 9 of 9. The seed names Assad, so the
    # scoped aliases apply: both rules give the same figures.
    exact = ["11", "9", "exact", f"{8 / 11:.3f}", f"{8 / 9:.3f}", f"{16 / 20:.3f}"]
    overlap = ["11", "9", "overlap", f"{9 / 11:.3f}", "1.000", f"{2 * (9 / 11) / (9 / 11 + 1):.3f}"]
    assert [line.split()[-6:] for line in lines[3:7]] == [exact, overlap, exact, overlap]
    assert [line.split()[0] for line in lines[3:7]] == ["every", "every", "scoped", "scoped"]
    assert sum(line.startswith("extra") for line in lines) == 3
    missed = [line for line in lines if line.startswith("missed")]
    assert len(missed) == 1 and missed[0].endswith("'main opposition delegation' -> hnc")


def test_gazetteer_script_measures_scoped_aliases_on_unrelated_news(tmp_path: Path) -> None:
    """An article of another topic that mentions no one of the registry: unscoped, "government" and "opposition"
    are wrong spans; scoped, they are not proposed (and a gold mention stays found either way)."""
    text = "Council votes on parking\n\nThe government and the opposition met the United Nations on Tuesday."
    (tmp_path / "gum.jsonl").write_text(json.dumps({"doc_id": "doc", "text": text}) + "\n", encoding="utf-8")
    start = text.index("United Nations")
    gold = {"documents": ["doc"], "spans": [
        {"doc_id": "doc", "start": start, "end": start + 14, "text": "United Nations", "actor_id": "un"}
    ]}
    (tmp_path / "gold.json").write_text(json.dumps(gold), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gazetteer.py"), "--project", str(SEED_PROJECT),
         "--store", str(SEED_PROJECT / "no-store.jsonl"), "--gum", str(tmp_path / "gum.jsonl"),
         "--gum-gold", str(tmp_path / "gold.json")],
        check=False, capture_output=True, text=True, cwd=tmp_path,
    )
    assert result.returncode == 1 and "no annotations yet" in result.stderr  # the store part needs a store
    store = tmp_path / "store.jsonl"
    (text_line,) = [s for s in segment_article(SEED) if s.text.startswith("Discussions")]
    write_annotations(store, [Annotation(text_line.id, SEED.id, text_line.text, "syria_peace", "gold", "NONE")])
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gazetteer.py"), "--project", str(SEED_PROJECT),
         "--store", str(store), "--gum", str(tmp_path / "gum.jsonl"), "--gum-gold", str(tmp_path / "gold.json")],
        check=False, capture_output=True, text=True, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    gum = result.stdout.split("\n\n")[1].splitlines()
    assert gum[0].endswith("1 GUM news documents (doc)")
    assert gum[2].split()[-6:] == ["3", "1", "exact", f"{1 / 3:.3f}", "1.000", "0.500"]
    assert gum[4].split()[-6:] == ["1", "1", "exact", "1.000", "1.000", "1.000"]


def test_gazetteer_script_refuses_an_empty_store(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gazetteer.py"), "--store", str(tmp_path / "gold.jsonl"),
         "--project", str(SEED_PROJECT), "--gum", "none"],
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert result.stderr == f"gazetteer: error: {tmp_path / 'gold.jsonl'}: no annotations yet, nothing to score\n"


def test_card_lists_exactly_the_registry_actors() -> None:
    project = load_project(ROOT)
    registry = load_actor_registry(project.actors, project.scheme)
    card = project.card.read_text(encoding="utf-8")
    guidelines = card.partition("\n## Annotation guidelines\n")[2].partition("\n## ")[0]
    table = guidelines.partition("\n### Actor ids\n")[2].partition("\n### ")[0]
    listed = re.findall(r"^- `([a-z0-9_]+)` \((\w+)\): (.+)$", table, re.MULTILINE)
    assert listed == [(a.id, a.type, a.name) for a in registry.values()]
    # Label Studio shows the section as the project instructions: plain Markdown, no HTML tags or comments.
    assert re.findall(r"<[A-Za-z/!][^>]*>", guidelines) == []

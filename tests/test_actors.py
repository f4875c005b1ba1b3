"""The actor registry (seeds/actors.jsonl), its validation, the gazetteer matcher and its P/R script."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from stance_corpus.corpus.actors import find_actor_mentions, load_actor_registry
from stance_corpus.corpus.articles import load_articles
from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.schema import ActorSpan, ActorType, Annotation, Stance
from stance_corpus.corpus.segment import segment_article
from stance_corpus.corpus.store import GOLD_FILE, read_annotations, write_annotations

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "test_actors"
REGISTRY = ROOT / "seeds" / "actors.jsonl"
GOLD = ROOT / "annotations" / GOLD_FILE


@pytest.fixture(scope="module")
def registry():
    return load_actor_registry(REGISTRY)


@pytest.fixture(scope="module")
def seed_sentences() -> list[str]:
    """The seed's segment texts: tests find a sentence by its first words, so they quote the real text."""
    return [segment.text for article in load_articles(ROOT / "seeds") for segment in segment_article(article)]


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
        load_actor_registry(DATA / fixture)
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
        load_actor_registry(path)


def test_committed_registry_loads_with_the_scheme_types(registry) -> None:
    assert {actor.type for actor in registry.values()} == set(ActorType)
    assert registry["lavrov"].affiliation == "russia"
    assert registry["hnc"].type is ActorType.OPPOSITION


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
    mentions = find_actor_mentions(text, registry)
    assert [(m.text, m.actor_id) for m in mentions] == expected
    position = 0
    for mention in mentions:
        assert mention.start == text.index(mention.text, position)
        assert text[mention.start : mention.end] == mention.text
        assert mention.type is registry[mention.actor_id].type
        assert mention.stance is Stance.NONE
        position = mention.end


def test_matcher_accepts_either_apostrophe_and_keeps_words_whole(registry) -> None:
    text = "Zeid Ra'ad Al Hussein met Russians; the UNSC and Moscow’s envoy"
    assert [(m.text, m.actor_id, m.start) for m in find_actor_mentions(text, registry)] == [
        ("Zeid Ra'ad Al Hussein", "zeid", 0),
        ("Moscow", "russia", 49),
    ]


def test_every_gold_actor_span_is_in_the_registry(registry) -> None:
    gold = read_annotations(GOLD)
    if not gold:
        pytest.skip(f"{GOLD.relative_to(ROOT)} holds no gold annotation yet (issue 4, part 3: adjudication)")
    unknown = [
        f"{a.segment_id} {span.start}..{span.end} {span.text!r}: actor_id {span.actor_id!r}, type {span.type.value}"
        for a in gold
        for span in a.actors
        if span.actor_id not in registry or registry[span.actor_id].type is not span.type
    ]
    assert unknown == [], "gold spans without a registry actor of the same type"


def test_gazetteer_script_scores_a_store(tmp_path: Path, seed_sentences) -> None:
    # A small hand-made store: two sentences spanned by the guidelines, and one where the annotator kept "main"
    # in the span (an overlap but not an exact match).
    def gold(beginning: str, spans: list[tuple[str, str, ActorType]]) -> Annotation:
        text = sentence(seed_sentences, beginning)
        return Annotation(
            segment_id=f"seg-{seed_sentences.index(text)}",
            article_id="000_b923e88ad6c5b85a",
            text=text,
            target="the Syria peace process (the Geneva talks and a ceasefire)",
            annotator="gold",
            stance=Stance.NONE,
            actors=tuple(
                ActorSpan(text.index(s), text.index(s) + len(s), s, actor_type, actor_id, Stance.NONE)
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
                    ("High Negotiations Committee", "hnc", ActorType.OPPOSITION),
                    ("Russia", "russia", ActorType.GOVERNMENT),
                    ("Russian", "russia", ActorType.GOVERNMENT),
                    ("regime", "syria_gov", ActorType.GOVERNMENT),
                ],
            ),
            gold(
                "But his Russian counterpart",  # predicted also: "Russian" of "his Russian counterpart" -> extra
                [
                    ("Foreign Minister Sergey Lavrov", "lavrov", ActorType.GOVERNMENT),
                    ("terrorism groups", "terror_groups", ActorType.MILITANT),
                    ("Russian state-operated news agency RIA Novosti", "ria_novosti", ActorType.MEDIA),
                ],
            ),
            gold(
                "The assault has complicated",
                [
                    ("main opposition delegation", "hnc", ActorType.OPPOSITION),
                    ("U.N. special envoy Staffan de Mistura", "de_mistura", ActorType.INTERNATIONAL),
                ],
            ),
        ],
    )
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gazetteer.py"), "--store", str(store), "--registry", str(REGISTRY)],
        check=False,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "3 annotations, 9 gold spans, 11 predicted" in lines[0]
    # exact: 8 of 11 predicted right, 8 of 9 gold found; overlap: 9 of 11, 9 of 9.
    assert lines[2].split() == ["exact", f"{8 / 11:.3f}", f"{8 / 9:.3f}", f"{16 / 20:.3f}"]
    assert lines[3].split() == ["overlap", f"{9 / 11:.3f}", "1.000", f"{2 * (9 / 11) / (9 / 11 + 1):.3f}"]
    assert sum(line.startswith("extra") for line in lines) == 3
    missed = [line for line in lines if line.startswith("missed")]
    assert len(missed) == 1 and missed[0].endswith("'main opposition delegation' -> hnc")


def test_gazetteer_script_refuses_an_empty_store(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gazetteer.py"), "--store", str(tmp_path / "gold.jsonl"),
         "--registry", str(REGISTRY)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert result.stderr == f"gazetteer: error: {tmp_path / 'gold.jsonl'}: no annotations yet, nothing to score\n"


def test_card_lists_exactly_the_registry_actors(registry) -> None:
    card = (ROOT / "DATASET_CARD.md").read_text(encoding="utf-8")
    guidelines = card.partition("\n## Annotation guidelines\n")[2].partition("\n## ")[0]
    table = guidelines.partition("\n### Actor ids\n")[2].partition("\n### ")[0]
    listed = re.findall(r"^- `([a-z0-9_]+)` \((\w+)\): (.+)$", table, re.MULTILINE)
    assert listed == [(a.id, a.type.value, a.name) for a in registry.values()]
    # Label Studio shows the section as the project instructions: plain Markdown, no HTML tags or comments.
    assert re.findall(r"<[A-Za-z/!][^>]*>", guidelines) == []

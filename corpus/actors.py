"""The actor registry (`seeds/actors.jsonl`) and the gazetteer that pre-annotates actor mentions in segments.

The matching rule is the span rule of the annotation guidelines (DATASET_CARD.md, "Annotation guidelines", "Which
words a span covers"): an alias matches as whole words, case-sensitively, the longest alias first; a mention may end
before a hyphen or a possessive ending ("U.N. Security Council-sanctioned", "Russia’s": the "’s" stays outside) but
never starts right after a hyphen ("pro-regime" is not a mention of the regime). Straight and curly apostrophes
are the same character to the matcher.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.jsonl import read_jsonl
from stance_corpus.corpus.schema import Actor, ActorSpan, ActorType, Stance

REGISTRY_FILE = Path("seeds/actors.jsonl")

_FIELDS = {"id", "name", "type", "affiliation", "aliases"}
_ACTOR_ID = re.compile(r"[a-z][a-z0-9_]*")
_APOSTROPHES = "'’"


def load_actor_registry(path: Path = REGISTRY_FILE) -> dict[str, Actor]:
    """Actor id -> Actor, in file order; every line checked, InputError naming `path:line` and the problem."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            path, "missing: the actor registry is one JSON object a line (docs/corpus.md, 'Actor registry')"
        )
    registry: dict[str, Actor] = {}
    line_of: dict[str, int] = {}
    alias_owner: dict[str, tuple[str, int]] = {}
    for line_number, record in read_jsonl(path):
        where = f"{path}:{line_number}"
        actor = _actor_from_record(record, where)
        if actor.id in registry:
            raise InputError(where, f"duplicate actor id {actor.id!r} (first on line {line_of[actor.id]})")
        for alias in actor.aliases:
            key = _fold_apostrophes(alias)
            if key in alias_owner:
                owner, owner_line = alias_owner[key]
                raise InputError(where, f"alias {alias!r} already belongs to actor {owner!r} (line {owner_line})")
            alias_owner[key] = (actor.id, line_number)
        registry[actor.id] = actor
        line_of[actor.id] = line_number
    if not registry:
        raise InputError(path, "lists no actor")
    for actor in registry.values():
        if actor.affiliation is not None and actor.affiliation not in registry:
            raise InputError(
                f"{path}:{line_of[actor.id]}", f"affiliation {actor.affiliation!r} of {actor.id!r} is not an actor id"
            )
    return registry


def _actor_from_record(record: object, where: str) -> Actor:
    if not isinstance(record, dict):
        raise InputError(where, "not a JSON object")
    missing, unknown = sorted(_FIELDS - set(record)), sorted(set(record) - _FIELDS)
    if missing or unknown:
        raise InputError(where, f"missing field(s) {missing}, unknown field(s) {unknown}")
    actor_id, name, aliases = record["id"], record["name"], record["aliases"]
    if not isinstance(actor_id, str) or not _ACTOR_ID.fullmatch(actor_id):
        raise InputError(where, f"id {actor_id!r} must be lower-case letters, digits and '_', starting with a letter")
    if not isinstance(name, str) or not name.strip():
        raise InputError(where, f"name of {actor_id!r} must be a non-empty string")
    try:
        actor_type = ActorType(record["type"])
    except ValueError as error:
        allowed = ", ".join(member.value for member in ActorType)
        raise InputError(where, f"type {record['type']!r} of {actor_id!r} is not in the scheme ({allowed})") from error
    affiliation = record["affiliation"]
    if affiliation is not None and not isinstance(affiliation, str):
        raise InputError(where, f"affiliation of {actor_id!r} must be an actor id or null")
    if affiliation == actor_id:
        raise InputError(where, f"actor {actor_id!r} cannot be affiliated with itself")
    if not isinstance(aliases, list) or not aliases:
        raise InputError(where, f"aliases of {actor_id!r} must be a non-empty list of strings")
    for alias in aliases:
        if not isinstance(alias, str) or not alias or alias != alias.strip():
            raise InputError(where, f"alias {alias!r} of {actor_id!r} must be a non-empty string without outer spaces")
    return Actor(id=actor_id, name=name, type=actor_type, affiliation=affiliation, aliases=tuple(aliases))


def find_actor_mentions(text: str, registry: dict[str, Actor]) -> list[ActorSpan]:
    """Gazetteer pre-annotations of `text`: non-overlapping alias matches, longest first, in reading order.

    Offsets are into `text` (`text[span.start:span.end] == span.text`); the stance is NONE (the annotator decides).
    """
    owners = {alias: actor for actor in registry.values() for alias in actor.aliases}
    pattern = _alias_pattern(tuple(owners))
    # The lookahead yields the longest alias starting at each position, overlapping ones included.
    candidates = [(match.start(), match.end(1), match.group(1)) for match in pattern.finditer(text)]
    taken: list[tuple[int, int, str]] = []
    for start, end, surface in sorted(candidates, key=lambda c: (c[0] - c[1], c[0])):
        if all(end <= other_start or other_end <= start for other_start, other_end, _ in taken):
            taken.append((start, end, surface))
    folded_owner = {_fold_apostrophes(alias): actor for alias, actor in owners.items()}
    return [
        ActorSpan(
            start=start,
            end=end,
            text=surface,
            type=(actor := folded_owner[_fold_apostrophes(surface)]).type,
            actor_id=actor.id,
            stance=Stance.NONE,
        )
        for start, end, surface in sorted(taken)
    ]


@functools.lru_cache(maxsize=8)
def _alias_pattern(aliases: tuple[str, ...]) -> re.Pattern[str]:
    by_length = sorted({_alias_regex(alias) for alias in aliases}, key=lambda regex: (-len(regex), regex))
    return re.compile(r"(?<![\w-])(?=(" + "|".join(by_length) + r")(?!\w))")


def _alias_regex(alias: str) -> str:
    return "".join(f"[{_APOSTROPHES}]" if char in _APOSTROPHES else re.escape(char) for char in alias)


def _fold_apostrophes(alias: str) -> str:
    return alias.translate({ord(char): "'" for char in _APOSTROPHES})

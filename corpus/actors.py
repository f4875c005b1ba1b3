"""The actor registry (a project's `actors.jsonl`) and the gazetteer that pre-annotates actor mentions in segments.

The matching rule is the span rule of the annotation guidelines (DATASET_CARD.md, "Annotation guidelines", "Which
words a span covers"): an alias matches as whole words, case-sensitively, the longest alias first; a mention may end
before a hyphen or a possessive ending ("U.N. Security Council-sanctioned", "Russia’s": the "’s" stays outside) but
never starts right after a hyphen ("pro-regime" is not a mention of the regime). Straight and curly apostrophes
are the same character to the matcher.

An alias that names a class rather than one actor ("government", "the opposition", "rebels") is *scoped*: it is
written as {"alias": "government", "requires": ["Syria", "Assad"], "targets": ["syria_peace"]} and pre-annotates
only where its scope holds (docs/corpus.md, "Scoped aliases"): in tasks of one of `targets`, in articles that name
one of `requires` as a whole word. Every key but `alias` is optional; a plain string is an alias that applies
everywhere.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.jsonl import read_jsonl
from stance_corpus.corpus.schema import Actor, ActorSpan, Alias, Scheme

_FIELDS = {"id", "name", "type", "affiliation", "aliases"}
_ALIAS_FIELDS = {"alias", "targets", "requires"}
_ACTOR_ID = re.compile(r"[a-z][a-z0-9_]*")
_APOSTROPHES = "'’"


@dataclass(frozen=True)
class MentionContext:
    """Where a segment is: the target of its task and its article's text (what scoped aliases are checked against).

    Without a context, only aliases that apply everywhere match.
    """

    target: str | None = None
    article_text: str = ""


def load_actor_registry(path: Path, scheme: Scheme) -> dict[str, Actor]:
    """Actor id -> Actor, in file order; every line checked against the scheme's actor types and targets, InputError
    naming `path:line` and the problem. An empty file is an empty registry (no pre-annotations)."""
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
        actor = _actor_from_record(record, where, scheme)
        if actor.id in registry:
            raise InputError(where, f"duplicate actor id {actor.id!r} (first on line {line_of[actor.id]})")
        for alias in actor.surface_forms:
            key = _fold_apostrophes(alias)
            if key in alias_owner:
                owner, owner_line = alias_owner[key]
                raise InputError(where, f"alias {alias!r} already belongs to actor {owner!r} (line {owner_line})")
            alias_owner[key] = (actor.id, line_number)
        registry[actor.id] = actor
        line_of[actor.id] = line_number
    for actor in registry.values():
        if actor.affiliation is not None and actor.affiliation not in registry:
            raise InputError(
                f"{path}:{line_of[actor.id]}", f"affiliation {actor.affiliation!r} of {actor.id!r} is not an actor id"
            )
    return registry


def _actor_from_record(record: object, where: str, scheme: Scheme) -> Actor:
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
    if record["type"] not in scheme.actor_type_names:
        allowed = ", ".join(scheme.actor_type_names)
        raise InputError(where, f"type {record['type']!r} of {actor_id!r} is not in the scheme ({allowed})")
    affiliation = record["affiliation"]
    if affiliation is not None and not isinstance(affiliation, str):
        raise InputError(where, f"affiliation of {actor_id!r} must be an actor id or null")
    if affiliation == actor_id:
        raise InputError(where, f"actor {actor_id!r} cannot be affiliated with itself")
    if not isinstance(aliases, list) or not aliases:
        raise InputError(where, f"aliases of {actor_id!r} must be a non-empty list of strings")
    return Actor(
        id=actor_id,
        name=name,
        type=record["type"],
        affiliation=affiliation,
        aliases=tuple(_alias(alias, actor_id, where, scheme) for alias in aliases),
    )


def _alias(raw: object, actor_id: str, where: str, scheme: Scheme) -> Alias:
    """A plain string, or {"alias": str, "targets": [target id, ...], "requires": [name, ...]}."""
    scope: dict[str, object] = {}
    if isinstance(raw, dict):
        unknown = sorted(set(raw) - _ALIAS_FIELDS)
        if "alias" not in raw or unknown or not (raw.keys() & {"targets", "requires"}):
            raise InputError(
                where,
                f"a scoped alias of {actor_id!r} is {{\"alias\": ..., \"targets\": [...], \"requires\": [...]}} with "
                f"targets or requires (or both), got {raw!r}",
            )
        scope = raw
        raw = raw["alias"]
    if not isinstance(raw, str) or not raw or raw != raw.strip():
        raise InputError(where, f"alias {raw!r} of {actor_id!r} must be a non-empty string without outer spaces")
    targets, requires = (_names(scope.get(key, []), key, raw, actor_id, where) for key in ("targets", "requires"))
    for target in targets:
        if target not in scheme.target_ids:
            raise InputError(
                where,
                f"alias {raw!r} of {actor_id!r} is scoped to target {target!r}, which is not a target of the project "
                f"({', '.join(scheme.target_ids)})",
            )
    return Alias(text=raw, targets=tuple(targets), requires=tuple(requires))


def _names(values: object, key: str, alias: str, actor_id: str, where: str) -> list[str]:
    """The `targets` or `requires` list of a scoped alias, checked."""
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() == v and v for v in values):
        raise InputError(where, f"{key} of the alias {alias!r} of {actor_id!r} must be a list of non-empty strings")
    return [str(value) for value in values]


def find_actor_mentions(
    text: str, registry: Mapping[str, Actor], context: MentionContext | None = None
) -> list[ActorSpan]:
    """Gazetteer pre-annotations of `text`: non-overlapping alias matches, longest first, in reading order; scoped
    aliases only where the context satisfies their scope.

    Offsets are into `text` (`text[span.start:span.end] == span.text`); the stance is "" (the annotator decides:
    pre-annotations get the scheme's default stance).
    """
    owners = {
        alias.text: actor
        for actor in registry.values()
        for alias in actor.aliases
        if not alias.scoped or _in_scope(alias, context or MentionContext())
    }
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
            stance="",
        )
        for start, end, surface in sorted(taken)
    ]


def _in_scope(alias: Alias, context: MentionContext) -> bool:
    if alias.targets and context.target not in alias.targets:
        return False
    return not alias.requires or _names_any(context.article_text, alias.requires)


@functools.lru_cache(maxsize=1024)
def _names_any(article_text: str, names: tuple[str, ...]) -> bool:
    """Whether the article names one of `names` as whole words (the alias rule: case-sensitive, not after a hyphen).

    Cached: every segment of an article asks the same question (a str caches its own hash, so the key is cheap).
    """
    return _names_pattern(names).search(article_text) is not None


@functools.lru_cache(maxsize=64)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    return _alias_pattern.__wrapped__(names)


@functools.lru_cache(maxsize=8)
def _alias_pattern(aliases: tuple[str, ...]) -> re.Pattern[str]:
    if not aliases:
        return re.compile(r"(?!)")  # matches nothing: an empty registry, or every alias out of scope
    by_length = sorted({_alias_regex(alias) for alias in aliases}, key=lambda regex: (-len(regex), regex))
    return re.compile(r"(?<![\w-])(?=(" + "|".join(by_length) + r")(?!\w))")


def _alias_regex(alias: str) -> str:
    return "".join(f"[{_APOSTROPHES}]" if char in _APOSTROPHES else re.escape(char) for char in alias)


def _fold_apostrophes(alias: str) -> str:
    return alias.translate({ord(char): "'" for char in _APOSTROPHES})

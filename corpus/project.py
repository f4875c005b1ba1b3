"""A corpus project: a folder with one declarative config, `stance-corpus.toml`, and the files it names.

    load_project(folder)   the checked Project of a folder; InputError naming `stance-corpus.toml:LINE` and the problem
    init_project(folder)   a new project skeleton that every command accepts as it is (corpus/templates/)

The config says what the corpus is: its name, where its dataset version comes from, the sentence stance labels,
the actor types (name, description, hotkey, colour), the targets (stable id, name, description, their section of
the guidelines, Label Studio project title), the targets of an article whose catalogue line lists none, how many
annotators label each task, the page furniture the segmenter drops, what `ingest` takes for records that lack it
(field names of tabular and JSON sources, licence, language, attribution, targets), and the release schema of its
next version (1: texts as they are; 2: publishable, corpus/release/publishable.py). Paths are
relative to the project folder; every key but the label sets and the targets has a default (docs/project.md).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from stance_corpus.corpus.articles import CATALOGUE_NAME
from stance_corpus.corpus.errors import InputError
from stance_corpus.corpus.files import write_text_atomic
from stance_corpus.corpus.schema import ActorTypeDef, Article, Scheme, StanceLabel, Target
from stance_corpus.corpus.segment import DEFAULT_FURNITURE, SegmentationConfig

CONFIG_FILE = "stance-corpus.toml"
VERSION_FROM_CARD = "card"
RELEASE_SCHEMAS = (1, 2)  # corpus/release/publishable.py: SCHEMA_1, SCHEMA_2
TITLE_LENGTH = (3, 50)  # what Label Studio accepts as a project title
# Label Studio's palette for actor types without a colour of their own (matplotlib's tab10).
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")

_ID = re.compile(r"[a-z][a-z0-9_]*")
_LABEL = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
_HOTKEY = re.compile(r"[a-z0-9]")  # one key; an actor's stance takes shift+ the sentence stance's key

_DEFAULT_PATHS = {
    "seeds": "seeds",
    "actors": "seeds/actors.jsonl",
    "store": "annotations",
    "card": "DATASET_CARD.md",
    "changelog": "CHANGELOG.md",
    "releases": "releases",
    "reports": "reports",
}
_SECTIONS = {
    "project": {"name", "version"},
    "paths": set(_DEFAULT_PATHS),
    "stances": {"name", "hotkey", "default"},
    "actor_types": {"name", "description", "hotkey", "color"},
    "targets": {"id", "name", "description", "guidelines", "label_studio_title"},
    "annotation": {"annotators_per_task", "default_targets", "label_studio_title"},
    "segmentation": {"furniture"},
    "ingest": {"fields", "license", "language", "attribution", "targets"},
    "release": {"schema"},
}
# [ingest.fields]: the keys are the names of ingest's --NAME-field options (docs/ingest.md, "Field names").
INGEST_FIELDS = ("text", "html", "title", "date", "url", "id", "license", "language", "source", "author")
_REQUIRED_SECTIONS = ("project", "stances", "actor_types", "targets")


@dataclass(frozen=True)
class IngestSettings:
    """What `stance-corpus ingest` takes from the project's `[ingest]` table (its flags override each value).

    `fields` maps an ingest field (INGEST_FIELDS: text, title, date, ...) to the source field names tried in order,
    replacing that field's default names; `license`, `language` (a BCP 47 tag) and `attribution` are for records
    without their own; `targets` are the target ids of every imported article (() for the project's defaults).
    `attribution` may be `@FILE`, a file relative to the project folder (`ingest` reads it).
    """

    fields: tuple[tuple[str, tuple[str, ...]], ...] = ()
    license: str | None = None
    language: str | None = None
    attribution: str | None = None
    targets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Project:
    """A checked corpus project: its folder, the paths of its files, its label scheme and its settings."""

    root: Path
    name: str
    version: str  # VERSION_FROM_CARD, or a semantic version X.Y.Z
    scheme: Scheme
    default_targets: tuple[str, ...]  # target ids of an article whose catalogue line lists none
    annotators_per_task: int
    furniture: tuple[str, ...]  # whole paragraphs that are page furniture (segmentation), compared casefolded
    release_schema: int  # of the next version built: 1, texts as they are; 2, publishable
    seeds: Path
    actors: Path
    store: Path
    card: Path
    changelog: Path
    releases: Path
    reports: Path
    # Whether releases carry the target's id (sentences, actors, raw_annotations) and articles their targets: always,
    # but for a version released before targets were data (1.0.0), rebuilt from its pin (corpus/release/build.py).
    target_columns: bool = True
    ingest: IngestSettings = IngestSettings()  # the [ingest] table

    @property
    def config_path(self) -> Path:
        """The project's config file, stance-corpus.toml in its folder."""
        return self.root / CONFIG_FILE

    @property
    def segmentation(self) -> SegmentationConfig:
        """What the segmenter takes from the project: its page furniture."""
        return SegmentationConfig(furniture=self.furniture)

    def select_targets(self, ids: Sequence[str] | None) -> tuple[Target, ...]:
        """The targets named by `--target` (all of the project's when none is named), in the project's order."""
        for target_id in ids or ():
            if target_id not in self.scheme.target_ids:
                known = ", ".join(self.scheme.target_ids)
                raise InputError("--target", f"{target_id!r} is not a target of {self.config_path} ({known})")
        return tuple(target for target in self.scheme.targets if not ids or target.id in ids)

    def targets_of(self, article: Article) -> tuple[Target, ...]:
        """The targets of an article: those its catalogue line lists, else the project's default targets."""
        targets = []
        for target_id in article.targets or self.default_targets:
            if target_id not in self.scheme.target_ids:
                raise InputError(
                    self.seeds / CATALOGUE_NAME,
                    f"article {article.id!r} lists target {target_id!r}, which is not a target of {self.config_path} "
                    f"({', '.join(self.scheme.target_ids)})",
                )
            targets.append(self.scheme.target(target_id))
        return tuple(targets)



def load_project(folder: str | Path = ".") -> Project:
    """The project of `folder` (its `stance-corpus.toml`), checked; InputError names `file:line` and the problem."""
    root = Path(folder)
    path = root / CONFIG_FILE
    if not path.is_file():
        where = root if root.is_dir() else path
        raise InputError(
            where, f"no {CONFIG_FILE}: not a corpus project (`stance-corpus init {root}` creates one; --project DIR)"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise InputError(path, f"is not valid UTF-8 (byte {error.start + 1})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = re.search(r"line (\d+)", str(error))
        raise InputError(f"{path}:{line.group(1)}" if line else path, f"not valid TOML ({error})") from None
    return _Checker(path, data, _key_lines(text)).project()


def init_project(folder: str | Path, name: str | None = None) -> list[Path]:
    """Write a new project skeleton into `folder` (created if needed); returns the files written.

    Refuses a folder that already holds any of the skeleton's files: nothing of a user's is ever overwritten.
    """
    root = Path(folder)
    if root.exists() and not root.is_dir():
        raise InputError(root, "exists and is not a folder")
    name = name or root.resolve().name
    if not name.strip() or any(char in name for char in "\n\r"):
        raise InputError("--name", f"{name!r} must be one line of text")
    templates = files("stance_corpus.corpus").joinpath("templates")
    plan = {
        root / CONFIG_FILE: templates.joinpath("stance-corpus.toml").read_text(encoding="utf-8"),
        root / _DEFAULT_PATHS["card"]: templates.joinpath("DATASET_CARD.md").read_text(encoding="utf-8"),
        root / _DEFAULT_PATHS["changelog"]: templates.joinpath("CHANGELOG.md").read_text(encoding="utf-8"),
        root / _DEFAULT_PATHS["seeds"] / "articles.jsonl": "",
        root / _DEFAULT_PATHS["actors"]: "",
    }
    present = [path for path in plan if path.exists()]
    if present:
        raise InputError(present[0], "already exists: `init` writes a new project and never overwrites a file")
    quoted = json.dumps(name, ensure_ascii=False)  # a TOML and YAML string alike
    for path, text in plan.items():
        write_text_atomic(path, text.replace("{name_json}", quoted).replace("{name}", name))
    (root / _DEFAULT_PATHS["store"]).mkdir(exist_ok=True)
    return list(plan)


def _key_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """The line of every `[table]`, `[[array]]` entry and `key =` of a TOML text, by its path: ("targets", 1, "id").

    tomllib gives values only; this scan gives the lines that error messages name. Keys inside multi-line strings
    are skipped; a key not found (an inline table's) falls back to its table's line.
    """
    lines: dict[tuple[str | int, ...], int] = {}
    counts: dict[str, int] = {}
    table: tuple[str | int, ...] = ()
    in_string: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if in_string:
            if stripped.count(in_string) % 2 == 1:
                in_string = None
            continue
        if header := re.fullmatch(r"\[\[\s*([\w.-]+)\s*\]\](\s*#.*)?", stripped):
            name = header.group(1)
            counts[name] = counts.get(name, -1) + 1
            table = (*name.split("."), counts[name])
            lines[table] = number
            lines.setdefault(table[:-1], number)  # the array itself: its first entry
        elif header := re.fullmatch(r"\[\s*([\w.-]+)\s*\](\s*#.*)?", stripped):
            table = tuple(header.group(1).split("."))
            lines[table] = number
        elif key := re.match(r"([A-Za-z0-9_-]+)\s*=\s*(.*)", stripped):
            lines[(*table, key.group(1))] = number
            value = key.group(2)
            for quotes in ('"""', "'''"):
                if value.startswith(quotes) and value.count(quotes) == 1:
                    in_string = quotes
    return lines


class _Checker:
    """Turns the parsed TOML into a Project, naming the line of the first problem."""

    def __init__(self, path: Path, data: dict[str, Any], lines: dict[tuple[str | int, ...], int]) -> None:
        self.path, self.data, self.lines = path, data, lines

    def fail(self, at: tuple[str | int, ...], problem: str) -> InputError:
        for end in range(len(at), 0, -1):  # the key's line, else its table's, else the file's first
            if at[:end] in self.lines:
                return InputError(f"{self.path}:{self.lines[at[:end]]}", problem)
        return InputError(f"{self.path}:1", problem)

    def project(self) -> Project:
        for section in self.data:
            if section not in _SECTIONS:
                raise self.fail((section,), f"unknown section [{section}] (known: {', '.join(_SECTIONS)})")
        for section in _REQUIRED_SECTIONS:
            if section not in self.data:
                raise InputError(f"{self.path}:1", f"missing section [{section}] (docs/project.md)")
        project = self.table("project")
        name = self.text(project, ("project", "name"))
        version = project.get("version", VERSION_FROM_CARD)
        if version != VERSION_FROM_CARD and not (isinstance(version, str) and _SEMVER.fullmatch(version)):
            raise self.fail(("project", "version"), f"version {version!r} must be {VERSION_FROM_CARD!r} or X.Y.Z")
        stances = self.stances()
        actor_types = self.actor_types(stances)
        annotation = self.table("annotation")
        targets = self.targets(name, annotation.get("label_studio_title"))
        scheme = Scheme(stances=stances, actor_types=actor_types, targets=targets, default_stance=self.default_stance())
        paths = self.table("paths")
        release_schema = self.table("release").get("schema", min(RELEASE_SCHEMAS))
        if release_schema not in RELEASE_SCHEMAS or isinstance(release_schema, bool):
            raise self.fail(("release", "schema"), f"schema {release_schema!r} must be one of {list(RELEASE_SCHEMAS)}")
        root = self.path.parent
        return Project(
            root=root,
            name=name,
            version=version,
            scheme=scheme,
            default_targets=self.default_targets(annotation, scheme),
            annotators_per_task=self.annotators_per_task(annotation),
            furniture=self.furniture(),
            release_schema=release_schema,
            seeds=root / self.relative_path(paths, "seeds"),
            actors=root / self.relative_path(paths, "actors"),
            store=root / self.relative_path(paths, "store"),
            card=root / self.relative_path(paths, "card"),
            changelog=root / self.relative_path(paths, "changelog"),
            releases=root / self.relative_path(paths, "releases"),
            reports=root / self.relative_path(paths, "reports"),
            ingest=self.ingest(scheme),
        )

    def table(self, section: str) -> dict[str, Any]:
        value = self.data.get(section, {})
        if not isinstance(value, dict):
            raise self.fail((section,), f"[{section}] must be a table")
        self.known_keys(value, (section,), _SECTIONS[section])
        return value

    def entries(self, section: str) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
        value = self.data[section]
        if not isinstance(value, list) or not value:
            raise self.fail((section,), f"[[{section}]] must be one or more tables")
        for index, entry in enumerate(value):
            at = (section, index)
            if not isinstance(entry, dict):
                raise self.fail(at, f"[[{section}]] entries must be tables")
            self.known_keys(entry, at, _SECTIONS[section])
            yield at, entry

    def known_keys(self, table: Mapping[str, Any], at: tuple[str | int, ...], known: set[str]) -> None:
        for key in table:
            if key not in known:
                raise self.fail((*at, key), f"unknown key {key!r} (known: {', '.join(sorted(known))})")

    def text(self, table: Mapping[str, Any], at: tuple[str | int, ...], required: bool = True) -> str:
        value = table.get(str(at[-1]))
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(at, f"{at[-1]} is required and must be a non-empty string")
        return value.strip()

    def unique(self, seen: dict[str, tuple[str | int, ...]], value: str, at: tuple[str | int, ...], what: str) -> None:
        if value in seen:
            first = self.lines.get(seen[value], 1)
            raise self.fail(at, f"{what} {value!r} is already used (line {first})")
        seen[value] = at

    def hotkey(
        self, entry: Mapping[str, Any], at: tuple[str | int, ...], seen: dict[str, tuple[str | int, ...]]
    ) -> str:
        hotkey = entry.get("hotkey")
        if hotkey is None:
            return ""
        if not isinstance(hotkey, str) or not _HOTKEY.fullmatch(hotkey):
            raise self.fail((*at, "hotkey"), f"hotkey {hotkey!r} must be one lower-case letter or digit")
        self.unique(seen, hotkey, (*at, "hotkey"), "hotkey")
        return hotkey

    def stances(self) -> tuple[StanceLabel, ...]:
        names: dict[str, tuple[str | int, ...]] = {}
        hotkeys: dict[str, tuple[str | int, ...]] = {}
        stances: list[StanceLabel] = []
        for at, entry in self.entries("stances"):
            name = self.text(entry, (*at, "name"))
            if not _LABEL.fullmatch(name):
                raise self.fail((*at, "name"), f"stance {name!r} must be letters, digits, '_' or '-'")
            self.unique(names, name, (*at, "name"), "stance")
            stances.append(StanceLabel(name=name, hotkey=self.hotkey(entry, at, hotkeys)))
        if len(stances) < 2:
            raise self.fail(("stances",), "a stance scheme needs at least two labels")
        return tuple(stances)

    def default_stance(self) -> str:
        marked = [(index, entry) for index, entry in enumerate(self.data["stances"]) if entry.get("default")]
        for index, entry in marked:
            if entry["default"] is not True:
                raise self.fail(("stances", index, "default"), "default must be true (or left out)")
        if len(marked) != 1:
            raise self.fail(
                ("stances", 0) if not marked else ("stances", marked[1][0], "default"),
                "mark exactly one stance `default = true`: the stance of a pre-annotated actor span (e.g. NONE)",
            )
        return str(marked[0][1]["name"]).strip()

    def actor_types(self, stances: Sequence[StanceLabel]) -> tuple[ActorTypeDef, ...]:
        names: dict[str, tuple[str | int, ...]] = {}
        # The sentence stance keys are taken (a key selects one thing on the screen).
        hotkeys: dict[str, tuple[str | int, ...]] = {s.hotkey: ("stances",) for s in stances if s.hotkey}
        actor_types: list[ActorTypeDef] = []
        for at, entry in self.entries("actor_types"):
            name = self.text(entry, (*at, "name"))
            if not _LABEL.fullmatch(name):
                raise self.fail((*at, "name"), f"actor type {name!r} must be letters, digits, '_' or '-'")
            self.unique(names, name, (*at, "name"), "actor type")
            color = entry.get("color", PALETTE[len(actor_types) % len(PALETTE)])
            if not isinstance(color, str) or not _COLOR.fullmatch(color):
                raise self.fail((*at, "color"), f"color {color!r} must be #rrggbb")
            actor_types.append(
                ActorTypeDef(
                    name=name,
                    description=self.text(entry, (*at, "description")),
                    hotkey=self.hotkey(entry, at, hotkeys),
                    color=color,
                )
            )
        return tuple(actor_types)

    def targets(self, project_name: str, title_prefix: object) -> tuple[Target, ...]:
        if title_prefix is not None and (not isinstance(title_prefix, str) or not title_prefix.strip()):
            raise self.fail(("annotation", "label_studio_title"), "label_studio_title must be a non-empty string")
        prefix = title_prefix or project_name
        ids: dict[str, tuple[str | int, ...]] = {}
        names: dict[str, tuple[str | int, ...]] = {}
        titles: dict[str, tuple[str | int, ...]] = {}
        targets: list[Target] = []
        for at, entry in self.entries("targets"):
            target_id = self.text(entry, (*at, "id"))
            if not _ID.fullmatch(target_id):
                raise self.fail((*at, "id"), f"target id {target_id!r} must be lower-case letters, digits and '_'")
            self.unique(ids, target_id, (*at, "id"), "target id")
            name = self.text(entry, (*at, "name"))
            self.unique(names, name, (*at, "name"), "target name")
            for key in ("name", "description"):
                if "$" in str(entry.get(key, "")):
                    raise self.fail((*at, key), f"the target's {key} cannot hold '$' (Label Studio reads $name as a "
                                    "task variable)")
            title = self.text(entry, (*at, "label_studio_title"), required=False) or f"{prefix}: {target_id}"
            if not TITLE_LENGTH[0] <= len(title) <= TITLE_LENGTH[1]:
                raise self.fail(
                    (*at, "label_studio_title"),
                    f"Label Studio title {title!r} must have {TITLE_LENGTH[0]} to {TITLE_LENGTH[1]} characters "
                    "(Label Studio's limits): set the target's label_studio_title",
                )
            self.unique(titles, title, (*at, "label_studio_title"), "Label Studio title")
            targets.append(
                Target(
                    id=target_id,
                    name=name,
                    description=self.text(entry, (*at, "description")),
                    guidelines=self.text(entry, (*at, "guidelines"), required=False) or None,
                    label_studio_title=title,
                )
            )
        return tuple(targets)

    def default_targets(self, annotation: Mapping[str, Any], scheme: Scheme) -> tuple[str, ...]:
        at = ("annotation", "default_targets")
        listed = annotation.get("default_targets", [scheme.targets[0].id])
        if not isinstance(listed, list) or not listed or not all(isinstance(item, str) for item in listed):
            raise self.fail(at, "default_targets must be a non-empty list of target ids")
        for target_id in listed:
            if target_id not in scheme.target_ids:
                raise self.fail(at, f"default target {target_id!r} is not a target id ({', '.join(scheme.target_ids)})")
        return tuple(dict.fromkeys(listed))

    def annotators_per_task(self, annotation: Mapping[str, Any]) -> int:
        value = annotation.get("annotators_per_task", 2)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise self.fail(("annotation", "annotators_per_task"), f"annotators_per_task {value!r} must be 1 or more")
        return value

    def furniture(self) -> tuple[str, ...]:
        value = self.table("segmentation").get("furniture", list(DEFAULT_FURNITURE))
        if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
            raise self.fail(("segmentation", "furniture"), "furniture must be a list of non-empty strings")
        return tuple(item.strip() for item in value)

    def ingest(self, scheme: Scheme) -> IngestSettings:
        table = self.table("ingest")
        fields = table.get("fields", {})
        if not isinstance(fields, dict):
            raise self.fail(("ingest", "fields"), "[ingest.fields] must be a table: text = \"story\" and the like")
        self.known_keys(fields, ("ingest", "fields"), set(INGEST_FIELDS))
        names: list[tuple[str, tuple[str, ...]]] = []
        for key in INGEST_FIELDS:
            if key not in fields:
                continue
            value = fields[key]
            listed = [value] if isinstance(value, str) else value
            if not isinstance(listed, list) or not listed or not all(isinstance(n, str) and n.strip() for n in listed):
                raise self.fail(
                    ("ingest", "fields", key), f"{key} must be a field name or a non-empty list of field names"
                )
            names.append((key, tuple(dict.fromkeys(name.strip() for name in listed))))
        values: dict[str, str | None] = {}
        for key in ("license", "language", "attribution"):
            value = table.get(key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise self.fail(("ingest", key), f"{key} must be a non-empty string")
            values[key] = value.strip() if isinstance(value, str) else None
        if values["language"] is not None:
            from stance_corpus.corpus.metadata import language_problem

            if problem := language_problem(values["language"]):
                raise self.fail(("ingest", "language"), problem)
        targets = table.get("targets", [])
        if not isinstance(targets, list) or not all(isinstance(item, str) for item in targets):
            raise self.fail(("ingest", "targets"), "targets must be a list of target ids")
        for target_id in targets:
            if target_id not in scheme.target_ids:
                raise self.fail(
                    ("ingest", "targets"), f"target {target_id!r} is not a target id ({', '.join(scheme.target_ids)})"
                )
        if len(set(targets)) != len(targets):
            raise self.fail(("ingest", "targets"), "a target is listed twice")
        return IngestSettings(fields=tuple(names), targets=tuple(targets), **values)

    def relative_path(self, paths: Mapping[str, Any], key: str) -> Path:
        value = paths.get(key, _DEFAULT_PATHS[key])
        if not isinstance(value, str) or not value.strip() or Path(value).is_absolute() or ".." in Path(value).parts:
            raise self.fail(("paths", key), f"{key} {value!r} must be a path inside the project folder")
        return Path(value)

"""The Croissant description (`croissant.json`, https://mlcommons.org/croissant/) of a publishable release: the
dataset's metadata, its parquet files with their sha256, and one record set per config whose fields follow the
config's `datasets.Features`, with the split of each record taken from its file's path.

A pure function of the release's metadata, features and file digests: the same release gives the same bytes.
tests/test_release_publishable.py validates the file with `mlcroissant` and reads its records back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from datasets import ClassLabel, Features, List, Value

CROISSANT_FILE = "croissant.json"
CONFORMS_TO = "http://mlcommons.org/croissant/1.0"
PARQUET = "application/x-parquet"
SPLIT_RECORD_SET = "splits"

# The JSON-LD context of Croissant 1.0, as the specification and mlcroissant's validator give it.
_CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
_VALUE_TYPES = {
    "string": "sc:Text",
    "bool": "sc:Boolean",
    "int8": "sc:Integer",
    "int16": "sc:Integer",
    "int32": "sc:Integer",
    "int64": "sc:Integer",
    "float32": "sc:Float",
    "float64": "sc:Float",
}


def croissant_json(
    *,
    name: str,
    description: str,
    version: str,
    licences: Sequence[str],
    cite_as: str,
    url: str | None,
    date_published: str | None,
    creators: Sequence[str],
    features: Mapping[str, Features],
    files: Mapping[str, Mapping[str, tuple[str, str]]],
    splits: Sequence[str],
    keys: Mapping[str, Sequence[str]],
) -> str:
    """The Croissant file of a release as text. `files`: config -> split -> (path in the release, sha256 of the
    file); `licences`: URLs (or names) of every licence in the release; `keys`: the columns that identify a row of
    each config; `splits`: the split names every config has."""
    distribution: list[dict[str, Any]] = []
    for config, per_split in files.items():
        for split, (path, digest) in per_split.items():
            distribution.append(
                {
                    "@type": "cr:FileObject",
                    "@id": path,
                    "name": path,
                    "description": f"The {split} split of the {config} config.",
                    "contentUrl": path,
                    "encodingFormat": PARQUET,
                    "sha256": digest,
                }
            )
    for config in files:
        distribution.append(
            {
                "@type": "cr:FileSet",
                "@id": f"{config}-files",
                "name": f"{config}-files",
                "description": f"The parquet files of the {config} config, one per split.",
                "encodingFormat": PARQUET,
                "includes": f"{config}/*.parquet",
            }
        )
    record_sets = [_split_record_set(splits)]
    record_sets += [_record_set(config, features[config], keys[config], splits) for config in files]
    metadata = {
        "@context": _CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": name,
        "description": description,
        "version": version,
        "license": list(licences),
        "citeAs": cite_as,
        "creator": [{"@type": "sc:Organization", "name": creator} for creator in creators],
        **({"url": url} if url else {}),
        **({"datePublished": date_published} if date_published else {}),
        "distribution": distribution,
        "recordSet": record_sets,
    }
    return json.dumps(metadata, indent=2, ensure_ascii=False) + "\n"


def _split_record_set(splits: Sequence[str]) -> dict[str, Any]:
    field_id = f"{SPLIT_RECORD_SET}/split_name"
    return {
        "@type": "cr:RecordSet",
        "@id": SPLIT_RECORD_SET,
        "name": SPLIT_RECORD_SET,
        "description": "The splits of every config: a sentence's split follows from its article id alone.",
        "dataType": "cr:Split",
        "key": {"@id": field_id},
        "field": [{"@type": "cr:Field", "@id": field_id, "name": "split_name", "dataType": "sc:Text"}],
        "data": [{field_id: split} for split in splits],
    }


def _record_set(config: str, features: Features, key: Sequence[str], splits: Sequence[str]) -> dict[str, Any]:
    file_set = {"fileSet": {"@id": f"{config}-files"}}
    split_field = {
        "@type": "cr:Field",
        "@id": f"{config}/split",
        "name": "split",
        "description": "The split of the record (the name of its parquet file).",
        "dataType": "sc:Text",
        "references": {"field": {"@id": f"{SPLIT_RECORD_SET}/split_name"}},
        "source": {
            **file_set,
            "extract": {"fileProperty": "fullpath"},
            # The whole path, or the split name alone (what mlcroissant matches again when it joins the splits).
            "transform": {"regex": f"^(?:(?:.*/)?{config}/)?({'|'.join(splits)})(?:\\.parquet)?$"},
        },
    }
    return {
        "@type": "cr:RecordSet",
        "@id": config,
        "name": config,
        "description": f"The rows of the {config} config.",
        "key": [{"@id": f"{config}/{column}"} for column in key],
        "field": [split_field, *(_field(config, name, feature, file_set) for name, feature in features.items())],
    }


def _field(
    parent: str, name: str, feature: object, file_set: dict[str, Any], path: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A Croissant field for one column (or, with `path`, one member of a struct column)."""
    field_id = f"{parent}/{name}"
    column = path[0] if path else name
    source: dict[str, Any] = {**file_set, "extract": {"column": column}}
    if path:
        source["transform"] = {"jsonPath": ".".join(path[1:] + (name,))}
    field: dict[str, Any] = {"@type": "cr:Field", "@id": field_id, "name": name}
    repeated = isinstance(feature, List)
    inner = feature.feature if isinstance(feature, List) else feature
    if isinstance(inner, dict):
        field["description"] = f"The {name} structs of the row." if repeated else f"The {name} of the row."
        field["subField"] = [
            _field(field_id, sub_name, sub_feature, file_set, (*path, name) if path else (name,))
            for sub_name, sub_feature in inner.items()
        ]
        if repeated:
            field["repeated"] = True
        return field
    if isinstance(inner, ClassLabel):
        field["dataType"] = "sc:Integer"
        field["description"] = "A class label: " + ", ".join(f"{i} = {label}" for i, label in enumerate(inner.names))
    elif isinstance(inner, Value):
        field["dataType"] = _VALUE_TYPES[inner.dtype]
    else:
        raise TypeError(f"no Croissant type for feature {inner!r} of {field_id}")
    if repeated:
        field["repeated"] = True
    field["source"] = source
    return field

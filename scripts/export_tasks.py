"""Write the tasks of a target's Label Studio project as JSON lines, as the labeling screen shows them, for an
annotation pass made outside the web UI (its labels come back through scripts/record_annotation_pass.py).

One line per task without a completed annotation by --annotator: the task's data (segment_id, article_id, publisher,
headline, previous, text, next, kind, target_id, target) and its pre-annotated actor spans ("prefill": start, end,
text, type, actor_id, stance), exactly what the screen pre-fills. Release 2.0.0's blind passes were given these
files, the guidelines and the actor registry, nothing else (DATASET_CARD.md, "Annotators, dates and agreement"):

    .venv/bin/python scripts/export_tasks.py --target ID [--annotator EMAIL] [--project DIR] [--title T] > TASKS.jsonl

Connection as for every command: LABEL_STUDIO_URL + LABEL_STUDIO_API_KEY, else the embedded server of --data-dir.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from stance_corpus.corpus.errors import InputError, StanceCorpusError
from stance_corpus.corpus.project import load_project
from stance_corpus.labeling.annotate import select_targets
from stance_corpus.labeling.config import ACTOR_ID, ACTOR_LABELS, ACTOR_STANCE, NOT_IN_REGISTRY
from stance_corpus.labeling.convert import python_offsets, required_id, task_data_from_label_studio
from stance_corpus.labeling.push import find_project
from stance_corpus.labeling.server import EMBEDDED_DATA_DIR, open_label_studio


def prefill(text: str, result: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The actor spans of a prediction's result, in text order: its regions' offsets (Python indices into `text`),
    type, actor id (null for *not in the registry*) and stance."""
    regions: dict[str, dict[str, Any]] = {}
    for item in result:
        value = item["value"]
        start, end = python_offsets(text, value["start"], value["end"], value["text"])
        region = regions.setdefault(item["id"], {"start": start, "end": end, "text": value["text"]})
        if item["from_name"] == ACTOR_LABELS:
            region["type"] = value["labels"][0]
        elif item["from_name"] == ACTOR_ID:
            actor_id = value["taxonomy"][0][-1]
            region["actor_id"] = None if actor_id == NOT_IN_REGISTRY else actor_id
        elif item["from_name"] == ACTOR_STANCE:
            region["stance"] = value["choices"][0]
    return sorted(regions.values(), key=lambda region: (region["start"], region["end"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, metavar="ID")
    parser.add_argument("--annotator", metavar="EMAIL", help="leave out the tasks this annotator completed")
    parser.add_argument("--title", help="the target's Label Studio project title (default: stance-corpus.toml's)")
    parser.add_argument("--project", type=Path, default=Path(), metavar="DIR")
    parser.add_argument("--data-dir", type=Path, default=Path(EMBEDDED_DATA_DIR), metavar="DIR")
    args = parser.parse_args(argv)
    try:
        project = load_project(args.project)
        [target] = select_targets(project, [args.target])
        title = args.title or target.label_studio_title
        with open_label_studio(args.data_dir) as (client, url, _server):
            found = find_project(client, title)
            if found is None:
                raise InputError(title, f"no such Label Studio project at {url}: run `stance-corpus annotate` first")
            project_id = required_id(found.id, f"project {title!r}")
            user = next((u for u in client.users.list() if u.email == args.annotator), None)
            for task in client.tasks.list(project=project_id, fields="all"):
                if user is not None and any(a.get("completed_by") == user.id for a in task.annotations or []):
                    continue
                data = task_data_from_label_studio(task.data, target.id).as_dict()
                spans = prefill(data["text"], task.predictions[0].result) if task.predictions else []
                print(json.dumps({**data, "prefill": spans}, ensure_ascii=False))
    except StanceCorpusError as error:
        print(f"export_tasks: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

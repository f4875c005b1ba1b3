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

from stance_corpus.corpus.errors import InputError, StanceCorpusError
from stance_corpus.corpus.project import load_project
from stance_corpus.labeling.convert import required_id, span_records, task_data_from_label_studio
from stance_corpus.labeling.push import find_project
from stance_corpus.labeling.server import EMBEDDED_DATA_DIR, open_label_studio


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
        [target] = project.select_targets([args.target])
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
                where = f"task {task.id} (segment {data['segment_id']}) prediction"
                result = task.predictions[0].result if task.predictions else []
                spans = sorted(span_records(result, data["text"], where), key=lambda s: (s["start"], s["end"]))
                print(json.dumps({**data, "prefill": spans}, ensure_ascii=False))
    except StanceCorpusError as error:
        print(f"export_tasks: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

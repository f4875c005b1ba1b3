"""Publishing a built release folder to the Hugging Face Hub, tagged with its version."""

from __future__ import annotations

import os
from pathlib import Path

from stance_corpus.corpus.errors import ReleaseError
from stance_corpus.corpus.release.folder import checksum_problem, release_version


def check_repo_id(repo_id: str) -> str:
    """`repo_id` if the Hub accepts it as a repository id (OWNER/NAME or NAME); ReleaseError saying why not."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(repo_id)
    except HFValidationError as error:
        raise ReleaseError(None, f"--repo-id {repo_id!r} is not a Hub repository id (OWNER/NAME): {error}") from error
    return repo_id


def publish_release(folder: Path, repo_id: str, *, private: bool) -> str:
    """Upload a release folder to the Hub dataset repo `repo_id` and tag it v<version>; returns the tag's URL.

    A version whose tag is already on the Hub is refused before anything is uploaded: published versions never change.
    """
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    check_repo_id(repo_id)
    version = release_version(folder)
    problem = checksum_problem(folder)
    if problem:
        raise ReleaseError(folder, f"{problem}: rebuild the release rather than publish an altered one")
    token = os.environ.get("HF_TOKEN")
    if not token:
        raise ReleaseError(None, "HF_TOKEN is not set: create a write token at https://huggingface.co/settings/tokens")
    api = HfApi(token=token)
    message = f"stance-corpus dataset {version}"
    tag = f"v{version}"
    try:
        api.create_repo(repo_id, repo_type="dataset", exist_ok=True, private=private)
        if any(ref.name == tag for ref in api.list_repo_refs(repo_id, repo_type="dataset").tags):
            raise ReleaseError(repo_id, f"already has {tag}: a published version is never overwritten")
        # Data files of an older version that this one no longer has must not linger next to it on main.
        api.upload_folder(
            repo_id=repo_id, repo_type="dataset", folder_path=folder, commit_message=message,
            delete_patterns=["*.parquet"],
        )
        api.create_tag(repo_id, repo_type="dataset", tag=tag, tag_message=message)
    except (HfHubHTTPError, OSError) as error:
        raise ReleaseError(None, f"publishing {folder} to {repo_id} failed: {str(error).splitlines()[0]}") from error
    return f"https://huggingface.co/datasets/{repo_id}/tree/{tag}"

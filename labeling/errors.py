"""Label Studio's failures as our errors: the one place where the SDK's and httpx's exceptions become ours.

    StanceCorpusError (stance_corpus.corpus.errors)
    └── LabelStudioError   the server is down, refuses the token or a request, or sends something we cannot accept

`label_studio_errors(doing, url)` wraps every call to a server: an `ApiError` (the server answered with an error
status) or an `httpx.HTTPError` (no answer, a lost connection, a timeout) raised inside it becomes one
LabelStudioError naming what was being done, with the status and the server's answer in the message and the
original exception kept as its `__cause__` for whoever needs more than one line.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator

from stance_corpus.corpus.errors import StanceCorpusError

# A server's answer in a one-line message: HTML error pages and tracebacks are cut to their first words.
_BODY_CHARACTERS = 300


class LabelStudioError(StanceCorpusError):
    """Label Studio cannot be reached, refuses our credentials or a request, or sent something we cannot accept."""


def answer_text(body: object) -> str:
    """A server's error answer (a parsed JSON body or text) on one line of at most 300 characters."""
    if isinstance(body, (dict, list)):
        text = json.dumps(body, ensure_ascii=False, separators=(", ", ": "))
    else:
        text = re.sub(r"<[^>]*>", " ", str(body or ""))  # an HTML error page: its words, not its markup
    text = " ".join(text.split())
    return text if len(text) <= _BODY_CHARACTERS else text[: _BODY_CHARACTERS - 1] + "…"


@contextlib.contextmanager
def label_studio_errors(doing: str | None = None, url: str | None = None) -> Iterator[None]:
    """Turn the SDK's ApiError and httpx's errors raised in the block into a LabelStudioError (cause kept).

    `doing` completes "Label Studio refused to ..." and "... while trying to ...", e.g. "create the project 'x'";
    without it the message says what the server answered, or that the connection was lost.
    """
    from httpx import HTTPError
    from label_studio_sdk.core.api_error import ApiError

    where = f" at {url}" if url else ""
    try:
        yield
    except ApiError as error:
        answer = answer_text(error.body)
        answer = f": {answer}" if answer else ""
        if doing:
            raise LabelStudioError(f"Label Studio{where} refused to {doing} ({error.status_code}){answer}") from error
        raise LabelStudioError(f"Label Studio{where} answered {error.status_code}{answer}") from error
    except HTTPError as error:
        problem = str(error) or type(error).__name__
        trying = f" while trying to {doing}" if doing else ""
        raise LabelStudioError(f"lost the connection to Label Studio{where}{trying}: {problem}") from error

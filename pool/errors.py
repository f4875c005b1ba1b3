"""The pool's own error (the rest are corpus's InputError: a bad input, option or model file).

    StanceCorpusError (stance_corpus.corpus.errors)
    └── PoolError   a pool folder that holds something else or was started with other options, a stage's worker
                    process that died, a pool that has not finished
"""

from __future__ import annotations

from stance_corpus.corpus.errors import StanceCorpusError


class PoolError(StanceCorpusError):
    """A pool cannot be built, resumed or read here: its folder holds something else, or a stage's worker died."""

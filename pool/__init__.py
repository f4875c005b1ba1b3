"""The pool: a large article collection imported, deduplicated, segmented, pre-annotated and scored on a
distributed engine (datatrove), and the choice of what to annotate next (docs/pool.md)."""

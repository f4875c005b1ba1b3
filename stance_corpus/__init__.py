"""The `stance-corpus` command: mounts each package's sub-commands; no package imports it."""

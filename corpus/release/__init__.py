"""Dataset releases: `rows` (pure: articles, segments and the store -> the rows of each config), `card` (pure: the
dataset card and its YAML), `build` (the edges of a build: files in, a release folder out), `folder` (a release folder
on disk: checksums, reading, comparing) and `publish` (the Hugging Face Hub)."""

"""Dataset releases: `rows` (pure: articles, segments and the store -> the rows of each config), `card` (pure: the
dataset card and its YAML), `build` (the edges of a build: files in, a release folder out), `folder` (a release folder
on disk: checksums, reading, comparing) and `publish` (the Hugging Face Hub). Publishable releases (schema 2):
`publishable` (its rows, card sections and settings), `licences` (which texts may be republished, LICENSE.md,
ATTRIBUTION.md), `croissant` (croissant.json), `withhold` (restoring withheld texts) and `adjudication` (the card's
counts of decisions per rule). Released versions:
`released` (released.json: pins, splits) and `lock` (`release lock`)."""

# The files of a project folder that a release is built from besides seeds/ and annotations/; here, not in `card`,
# so that commands can name them without importing `datasets`.
CARD_FILE = "DATASET_CARD.md"  # the dataset card: YAML header (version, Hub keys) and text; the release's README.md
CHANGELOG_FILE = "CHANGELOG.md"  # its "## Dataset releases" section describes every version before it is built

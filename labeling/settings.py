"""Where and how commands reach Label Studio: names and defaults only, so that parsing arguments stays quick
(the Label Studio SDK takes over a second to import and is imported only by the commands that talk to a server)."""

from __future__ import annotations

from pathlib import Path

EMBEDDED_DATA_DIR = Path(".label-studio")
CREDENTIALS_FILE = "credentials.json"
RUNNING_FILE = "running.json"
LOG_FILE = "label-studio.log"
DEFAULT_USERNAME = "admin@stance-corpus.local"
URL_ENV = "LABEL_STUDIO_URL"
TOKEN_ENV = "LABEL_STUDIO_API_KEY"

# No outbound calls, no open signup, and the planted legacy token accepted (NOTES.md, "Label Studio server").
SERVER_ENV = {
    "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
    "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
    "LATEST_VERSION_CHECK": "false",
    "COLLECT_ANALYTICS": "false",
}
# `--database`, in Label Studio's own variable; PostgreSQL is then reached through POSTGRE_HOST, POSTGRE_PORT,
# POSTGRE_NAME, POSTGRE_USER and POSTGRE_PASSWORD from the environment (docs/annotation.md, "Team setup: PostgreSQL").
DATABASE_ENV = {"sqlite": {"DJANGO_DB": "sqlite"}, "postgresql": {"DJANGO_DB": "default"}}
POSTGRESQL_DJANGO_DB = ("default", "postgresql")

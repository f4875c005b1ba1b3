"""The wheel users install: everything inside the one package `stance_corpus`, data files included.

The folders corpus/, labeling/, baselines/ and pool/ sit at the repository's top but must install as
`stance_corpus.corpus`, `stance_corpus.labeling`, `stance_corpus.baselines` and `stance_corpus.pool`: a top-level
`corpus` or `baselines` would overwrite (or be overwritten by) the distributions of those names on PyPI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What a build must not copy from a working tree: environments, caches, outputs and other builds.
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "build", "*.egg-info", "__pycache__", ".*_cache", "releases", "reports", "test-artifacts",
    ".label-studio",
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """site-packages of a fresh venv holding only the wheel of this checkout, installed without dependencies."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCES)  # a clean copy: the build writes build/ and egg-info
    wheels = work / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    # No build isolation: setuptools of the test environment builds it, with no package index to reach.
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", wheels, source], check=True)
    (wheel,) = wheels.glob("stance_corpus-*.whl")
    environment = work / "venv"
    venv.create(environment, with_pip=False)
    python = environment / "bin" / "python"
    subprocess.run([*pip, "--python", python, "install", "--no-deps", wheel], check=True)
    site_packages = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    return Path(site_packages)


@pytest.mark.slow
def test_the_wheel_installs_one_package_and_its_metadata(installed: Path) -> None:
    version = subprocess.run(
        [sys.executable, "-c", "from importlib.metadata import version; print(version('stance-corpus'))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    assert sorted(path.name for path in installed.iterdir()) == ["stance_corpus", f"stance_corpus-{version}.dist-info"]
    assert sorted(path.name for path in (installed / "stance_corpus").iterdir() if path.name != "__pycache__") == [
        "__init__.py", "baselines", "cli.py", "corpus", "labeling", "pool", "py.typed",
    ]
    for template in ("stance-corpus.toml", "DATASET_CARD.md", "CHANGELOG.md"):  # what `init` writes
        assert (installed / "stance_corpus" / "corpus" / "templates" / template).read_bytes() == (
            ROOT / "corpus" / "templates" / template
        ).read_bytes()
    assert (installed / "stance_corpus" / "py.typed").is_file()
    assert (installed.parents[2] / "bin" / "stance-corpus").is_file()


@pytest.mark.slow
def test_the_installed_package_imports_from_the_wheel(installed: Path) -> None:
    # The fresh venv has no dependencies (datasets, syntok, ...): import with this environment's, the wheel's
    # package first on the path, and check that the modules came from the wheel, not from this checkout.
    code = (
        "import stance_corpus.corpus.release.build as build, stance_corpus.labeling.cli, stance_corpus.baselines.cli\n"
        "import stance_corpus.pool.cli\n"
        "from stance_corpus.corpus.project import init_project\n"
        "print(build.__file__)\n"
        "print(len(init_project('new-project')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        check=True, capture_output=True, text=True, cwd=installed.parent,
        env={**os.environ, "PYTHONPATH": str(installed)},
    )
    module_file, written = result.stdout.splitlines()
    assert Path(module_file) == installed / "stance_corpus" / "corpus" / "release" / "build.py"
    # `init`'s templates are read from the package, wherever the command runs (here: outside any checkout).
    assert int(written) == 5
    assert (installed.parent / "new-project" / "stance-corpus.toml").read_bytes() == (
        ROOT / "corpus" / "templates" / "stance-corpus.toml"
    ).read_bytes().replace(b"{name_json}", b'"new-project"')

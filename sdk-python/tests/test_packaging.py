"""The package installs from the repository into a virtual environment built on the system's packages
(python3 -m venv --system-site-packages), offline, with its typing marker and one version."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(
    not all(importlib.util.find_spec(m) for m in ("pip", "setuptools", "wheel")),
    reason="needs the system's pip, setuptools and wheel (python3-pip on Debian)",
)
def test_installs_offline_into_a_venv_on_system_packages(tmp_path: Path) -> None:
    source = tmp_path / "src-copy"
    # A copy, so that the build leaves nothing (build/, *.egg-info) in the working tree.
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns("tests", "bench", "build", "*.egg-info", "__pycache__"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-index", str(source)],
        check=True, capture_output=True, timeout=120,
    )
    out = subprocess.run(
        [python, "-c", (
            "import importlib.metadata as m, pathlib, scope_auth, scope_auth.fastapi, scope_auth.wsgi;"
            "print(scope_auth.__version__, m.version('scope-auth'), (pathlib.Path(scope_auth.__file__).parent / 'py.typed').exists(), scope_auth.__file__)"
        )],
        check=True, capture_output=True, text=True, cwd=tmp_path, timeout=60,
    ).stdout.split()
    version, installed, typed, location = out
    assert version == installed and typed == "True"
    assert location.startswith(str(venv))

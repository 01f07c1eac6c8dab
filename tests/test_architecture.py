"""The layers of docs/architecture.md hold, and import-linter is what holds them.

``lint-imports`` passes on the real tree. On a copy of the tree with one forbidden import added
(``screener`` importing ``intake`` or ``config``, even inside a function; the engine importing
Django or another screener module) it fails, naming the broken contract. The copies live in a
temporary directory: the source tree is never written, so nothing is left behind whatever
happens.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
CONTRACTS = {contract["type"]: contract["name"] for contract in CONFIG["contracts"]}
LAYERS, ENGINE = CONTRACTS["layers"], CONTRACTS["forbidden"]


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` with the tree's own pyproject.toml, importing the tree's packages."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(tree / "pyproject.toml")],
        cwd=tree,
        # First on the path: the copy, not the project installed in the virtualenv.
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_contracts_cover_the_four_packages():
    assert CONFIG["root_packages"] == ["config", "authorization", "intake", "screener"]
    assert next(c for c in CONFIG["contracts"] if c["type"] == "layers")["layers"] == [
        "config",
        "authorization",
        "intake",
        "screener",
    ]
    engine = next(c for c in CONFIG["contracts"] if c["type"] == "forbidden")
    assert engine["source_modules"] == ["screener.engine"]
    assert set(engine["forbidden_modules"]) == {"django", "screener.*"}


def test_the_real_tree_keeps_every_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{LAYERS} KEPT" in result.stdout
    assert f"{ENGINE} KEPT" in result.stdout
    assert "Contracts: 2 kept, 0 broken." in result.stdout


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    """The three packages and pyproject.toml, copied (a probe module goes into the copy)."""
    copy = tmp_path / "tree"
    for package in CONFIG["root_packages"]:
        shutil.copytree(
            ROOT / package, copy / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


@pytest.mark.parametrize(
    ("probe", "source", "broken", "importer", "imported"),
    [
        ("screener/arch_probe.py", "import intake.models\n", LAYERS, "screener", "intake"),
        (
            "screener/arch_probe.py",
            "def later():\n    from intake.rescreen import impact\n\n    return impact\n",
            LAYERS,
            "screener",
            "intake",
        ),
        ("screener/arch_probe.py", "from config import urls\n", LAYERS, "screener", "config"),
        ("intake/arch_probe.py", "from config import urls\n", LAYERS, "intake", "config"),
        (
            "screener/engine/arch_probe.py",
            "import django.db\n",
            ENGINE,
            "screener.engine",
            "django",
        ),
        (
            "screener/engine/arch_probe.py",
            "from screener import models\n",
            ENGINE,
            "screener.engine",
            "screener.models",
        ),
    ],
    ids=[
        "screener-imports-intake",
        "screener-imports-intake-inside-a-function",
        "screener-imports-config",
        "intake-imports-config",
        "engine-imports-django",
        "engine-imports-screener",
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tree_copy, probe, source, broken, importer, imported
):
    clean = lint_imports(tree_copy)
    assert clean.returncode == 0, clean.stdout + clean.stderr  # the copy alone checks

    (tree_copy / probe).write_text(source)
    result = lint_imports(tree_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{broken} BROKEN" in result.stdout
    assert "Contracts: 1 kept, 1 broken." in result.stdout
    assert f"{importer} is not allowed to import {imported}:" in result.stdout
    module = probe.removesuffix(".py").replace("/", ".")
    assert f"{module} -> " in result.stdout  # the chain starts at the probe's import


def test_the_source_tree_holds_no_probe():
    """The probes above went into copies only."""
    assert not list(ROOT.glob("**/arch_probe.py"))

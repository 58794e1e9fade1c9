"""The import-linter contracts in pyproject.toml catch a wrong import (`make lint` runs them).

The whole source tree is copied into a temporary folder, one deliberately wrong import is added, and
`lint-imports` runs on the copy with the project's own contracts: it must pass on the clean copy and fail, naming
the right contract, on each broken one. The copy is isolated (`python -S`: the editable installs' paths are not
added), so the real tree is never touched.
"""

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[3]
SOURCES = [ROOT / "contracts", *sorted((ROOT / "libs").iterdir()), *sorted((ROOT / "services").iterdir()),
           ROOT / "gateway", ROOT / "client", ROOT / "cli"]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("layers")
    for member in SOURCES:
        if (member / "src" / "admint").is_dir():
            shutil.copytree(member / "src" / "admint", tree / "src" / "admint", dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "data", "*.yaml", "static"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    site_packages = sysconfig.get_paths()["purelib"]
    return subprocess.run(
        [sys.executable, "-S", "-c", "import sys; from importlinter.cli import lint_imports_command as c; "
                                     "sys.exit(c())"],
        cwd=tree, env={"PYTHONPATH": f"{tree / 'src'}:{site_packages}", "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120,
    )


def broken_copy(pristine: Path, tmp_path: Path, module: str, line: str) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(pristine, tree)
    path = tree / "src" / Path(*module.split(".")).with_suffix(".py")
    path.write_text(path.read_text() + f"\n{line}\n")
    return tree


def test_the_clean_tree_keeps_every_contract(pristine: Path) -> None:
    result = lint(pristine)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("admint.chunker.handlers", "import pymongo  # noqa", "handlers and domain modules import no framework"),
    ("admint.stitcher.master", "from admint.media import probe  # noqa", "handlers and domain modules"),
    ("admint.core.worker", "import admint.media.ffmpeg  # noqa", "core knows no service, no provider, no media"),
    ("admint.gateway.views", "import admint.chunker.planning  # noqa", "never import each other"),
    ("admint.media.probe", "import nats  # noqa", "media knows no bus"),
    ("admint.exporter.app", "import admint.devstack.localstack  # noqa", "the dev stack is imported by nothing"),
    ("admint.scorer.handlers", "import admint.scorer.measure  # noqa", "handlers and domain modules"),
])
def test_a_deliberately_wrong_import_fails_lint(pristine: Path, tmp_path: Path, module: str, line: str,
                                                contract: str) -> None:
    result = lint(broken_copy(pristine, tmp_path, module, line))
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, result.stdout[-2000:]

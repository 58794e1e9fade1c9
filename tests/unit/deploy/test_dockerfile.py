"""infra/Dockerfile: hadolint clean, copies every workspace member, builds any service by one argument."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from deploycheck.dockerfile import check_dockerfile, workspace_members

from admint.core.topology import SERVICES

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / "infra" / "Dockerfile"


def test_repository_dockerfile_passes() -> None:
    assert check_dockerfile(DOCKERFILE, ROOT) == []


def test_workspace_members_are_found() -> None:
    members = workspace_members(ROOT)
    expected = {"contracts", "libs/core", "libs/media", "libs/providers", "libs/devstack", "services/chunker",
                "gateway", "cli"}
    assert expected <= set(members)


def test_missing_member_copy_fails(tmp_path: Path) -> None:
    broken = tmp_path / "Dockerfile"
    broken.write_text(
        DOCKERFILE.read_text().replace("COPY services/chunker/pyproject.toml services/chunker/\n", "")
    )
    problems = check_dockerfile(broken, ROOT)
    assert problems == [
        f"{broken}: workspace member services/chunker is missing "
        "`COPY services/chunker/pyproject.toml services/chunker/`"
    ]


def test_hadolint_findings_fail(tmp_path: Path) -> None:
    broken = tmp_path / "Dockerfile"
    text = DOCKERFILE.read_text().replace(
        "WORKDIR /app\n", "WORKDIR /app\nRUN cd /tmp && apt-get install curl\n"
    )
    broken.write_text(text)
    problems = check_dockerfile(broken, ROOT)
    assert any("DL3003" in p for p in problems), problems  # cd instead of WORKDIR
    assert any("DL3014" in p for p in problems), problems  # apt-get install without -y


def test_one_build_argument_selects_every_service_and_ffmpeg_goes_only_to_media_stages() -> None:
    text = DOCKERFILE.read_text()
    allowed = re.search(r'case "\$\{SERVICE\}" in ([a-z|]+)\)', text)
    assert allowed is not None
    assert set(allowed.group(1).split("|")) == {*SERVICES, "gateway"}
    ffmpeg = re.search(r"case \"\$\{SERVICE\}\" in ([a-z|]+)\) pkgs\+=\(ffmpeg\)", text)
    assert ffmpeg is not None and set(ffmpeg.group(1).split("|")) == {"chunker", "stitcher", "exporter", "scorer"}
    assert 'uv sync --frozen --no-dev --no-editable --package "admint-${SERVICE}"' in text
    assert re.search(r"^USER 10001", text, flags=re.MULTILINE)
    assert re.search(r"^HEALTHCHECK .*healthcheck\.py", text, flags=re.MULTILINE)


@pytest.mark.parametrize("service", [*SERVICES, "gateway"])
def test_every_image_has_a_module_to_run(service: str) -> None:
    """The image's CMD is `python -m admint.<service>` (and the build fails without it)."""
    base = ROOT / "gateway" if service == "gateway" else ROOT / "services" / service
    assert (base / "src" / "admint" / service / "__main__.py").is_file()


@pytest.mark.parametrize(("package", "ships_opencv"), [
    ("admint-planner", False), ("admint-gateway", False), ("admint-storyboard", True), ("admint-chunker", True),
])
def test_only_the_media_services_ship_numpy_and_opencv(package: str, ships_opencv: bool) -> None:
    """An image installs its member's locked closure (uv sync --package): the planner and the gateway carry no
    NumPy/OpenCV (the offline models live in the media services; admint-media's [frames] extra holds them)."""
    uv = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    assert uv, "uv is installed by `make setup`"
    closure = subprocess.run([uv, "export", "--frozen", "--no-dev", "--no-hashes", "--package", package],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout.lower()
    names = {line.split("==")[0].strip() for line in closure.splitlines() if "==" in line}
    assert ({"numpy", "opencv-python-headless"} <= names) is ships_opencv
    assert "admint-devstack" not in names

"""docker-compose.yml and .env.example: valid for docker-compose, scalable, started in dependency order."""

import shutil
from pathlib import Path

import pytest
import yaml
from deploycheck.compose import check_compose, check_env_example, resolved_config

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the files compose reads, to break one at a time."""
    for name in ("docker-compose.yml", ".env.example"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "infra").mkdir()
    shutil.copy(ROOT / "infra" / "nats.conf", tmp_path / "infra" / "nats.conf")
    return tmp_path


def edit_compose(project: Path, change) -> Path:  # type: ignore[no-untyped-def]
    path = project / "docker-compose.yml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_repository_compose_file_passes() -> None:
    assert check_compose(ROOT / "docker-compose.yml") == []


def test_every_app_container_gets_the_example_environment_and_waits_for_bootstrap() -> None:
    config, problems = resolved_config(ROOT / "docker-compose.yml")
    assert problems == [] and config is not None
    for name in ("planner", "storyboard", "chunker", "stitcher", "exporter", "scorer", "gateway", "bootstrap"):
        env = config["services"][name]["environment"]
        assert env["ADMINT_NATS_URL"] == "nats://nats:4222"
        assert env["ADMINT_S3_ENDPOINT"] == "minio:9000"
    chunker = config["services"]["chunker"]
    assert chunker["depends_on"]["bootstrap"]["condition"] == "service_completed_successfully"
    assert "container_name" not in chunker and not chunker.get("ports")
    assert config["services"]["nats"]["command"] == ["nats-server", "--config", "/etc/nats/nats.conf"]


def test_invalid_compose_file_fails(project: Path) -> None:
    path = edit_compose(project, lambda d: d["services"]["chunker"].update({"restart": 42, "bogus_key": 1}))
    problems = check_compose(path)
    assert len(problems) == 1 and "docker-compose config failed" in problems[0]


def test_fixed_container_name_or_host_port_on_a_worker_fails(project: Path) -> None:
    def change(d: dict) -> None:  # type: ignore[type-arg]
        d["services"]["chunker"]["container_name"] = "chunker"
        d["services"]["stitcher"]["ports"] = ["8081:8081"]

    problems = check_compose(edit_compose(project, change))
    assert any("chunker: container_name prevents `--scale chunker=N`" in p for p in problems), problems
    assert any("stitcher: a worker publishes no host ports" in p for p in problems), problems


def test_worker_not_waiting_for_bootstrap_fails(project: Path) -> None:
    path = edit_compose(
        project,
        lambda d: d["services"]["exporter"].update(
            {"depends_on": {"nats": {"condition": "service_started"}}}
        ),
    )
    problems = check_compose(path)
    assert any("exporter: must depend on bootstrap" in p for p in problems), problems
    assert any("exporter: must depend on nats with condition service_healthy" in p for p in problems), (
        problems
    )


def test_stop_grace_shorter_than_drain_fails(project: Path) -> None:
    path = edit_compose(project, lambda d: d["services"]["chunker"].update({"stop_grace_period": "1m"}))
    assert any("chunker: stop_grace_period 60s" in p for p in check_compose(path))


def test_env_example_must_agree_with_itself_and_the_settings(project: Path) -> None:
    path = project / ".env.example"
    assert check_env_example(path) == []
    text = path.read_text().replace("MINIO_ROOT_PASSWORD=admint-dev-secret", "MINIO_ROOT_PASSWORD=other")
    path.write_text(text + "ADMINT_MONGO_URI=mongodb://mongo:27017\n")
    problems = check_env_example(path)
    assert any("MINIO_ROOT_PASSWORD must equal ADMINT_S3_SECRET_KEY" in p for p in problems), problems
    assert any("ADMINT_MONGO_URI is not a setting" in p for p in problems), problems


def test_nats_config_is_parsed_by_the_real_server(tmp_path: Path) -> None:
    from deploycheck.natsconf import check_nats_conf

    original = ROOT / "infra" / "nats.conf"
    assert check_nats_conf(original, [ROOT / "k8s" / "overlays" / "dev" / "nats.conf"]) == []
    bad = tmp_path / "nats.conf"
    bad.write_text(original.read_text().replace("store_dir:", "store_dirr:"))
    problems = check_nats_conf(bad, [original])
    assert any('unknown field "store_dirr"' in p for p in problems), problems
    assert any("differs from" in p for p in problems), problems

"""Upstream NATS, MongoDB and MinIO images via testcontainers, for machines with a Docker engine."""

from typing import Any


def start_containers() -> tuple[dict[str, str], list[Any]]:
    from testcontainers.core.container import DockerContainer  # type: ignore[import-not-found]
    from testcontainers.core.waiting_utils import wait_for_logs  # type: ignore[import-not-found]

    nats = DockerContainer("nats:2.10").with_command("-js").with_exposed_ports(4222)
    mongo = DockerContainer("mongo:7").with_command("--replSet rs0 --bind_ip_all").with_exposed_ports(27017)
    minio = (
        DockerContainer("minio/minio:latest")
        .with_command("server /data")
        .with_env("MINIO_ROOT_USER", "admint")
        .with_env("MINIO_ROOT_PASSWORD", "admint-dev-secret")
        .with_exposed_ports(9000)
    )
    started = []
    for container, ready in ((nats, "Server is ready"), (mongo, "Waiting for connections"), (minio, "API:")):
        container.start()
        started.append(container)
        wait_for_logs(container, ready, timeout=60)
    mongo.exec("mongosh --quiet --eval 'rs.initiate()'")
    host = nats.get_container_host_ip()
    env = {
        "ADMINT_NATS_URL": f"nats://{host}:{nats.get_exposed_port(4222)}",
        "ADMINT_MONGO_URL": f"mongodb://{host}:{mongo.get_exposed_port(27017)}/?directConnection=true",
        "ADMINT_S3_ENDPOINT": f"{host}:{minio.get_exposed_port(9000)}",
        "ADMINT_S3_ACCESS_KEY": "admint",
        "ADMINT_S3_SECRET_KEY": "admint-dev-secret",
    }
    return env, started

"""`python -m admint.exporter`: run the exporter worker."""

from admint.core.service import run_service
from admint.exporter.app import build
from admint.exporter.config import ExporterSettings


def main() -> None:
    run_service(ExporterSettings(), build)


if __name__ == "__main__":
    main()

"""`python -m admint.exporter`: run the exporter worker."""

from admint.exporter.app import build
from admint.exporter.config import ExporterSettings
from admint.runtime.service import run_service


def main() -> None:
    run_service(ExporterSettings(), build)


if __name__ == "__main__":
    main()

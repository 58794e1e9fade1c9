"""`python -m admint.chunker`: run the chunk generator worker."""

from admint.chunker.app import build
from admint.chunker.config import ChunkerSettings
from admint.core.service import run_service


def main() -> None:
    run_service(ChunkerSettings(), build)


if __name__ == "__main__":
    main()

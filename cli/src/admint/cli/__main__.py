"""`admint` / `python -m admint.cli`."""

from admint.cli.app import app


def main() -> None:
    app()


if __name__ == "__main__":
    main()

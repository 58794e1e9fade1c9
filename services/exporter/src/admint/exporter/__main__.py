"""`python -m admint.exporter`: run the exporter worker."""

from admint.core.service import run
from admint.exporter.app import SERVICE

if __name__ == "__main__":
    run(SERVICE)

"""`python -m admint.devstack demo`: the demo runner (see demo.py)."""

from admint.devstack.demo import main

if __name__ == "__main__":
    raise SystemExit(main())

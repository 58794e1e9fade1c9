"""`make demo`: start everything, generate a 30 s 1080x1920 ad with offline providers, stop everything."""

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from admint.core.topology import SERVICES
from admint.devstack.localstack import LocalStackError
from admint.devstack.processes import DevStack

DEMO_BRIEF = (
    "30-second ad for an eco-friendly stainless steel water bottle that keeps drinks cold for 24 hours; "
    "calm, premium, for busy urban professionals who care about the planet"
)



def demo(out: Path, brief: str, duration: int, aspect: str) -> int:
    """Start everything, create a key, run `admint generate`, stop everything; returns the CLI's exit code."""
    data_dir = Path(".admint") / "demo"
    shutil.rmtree(data_dir, ignore_errors=True)  # a fresh stack every demo: no stale events or documents
    api_key = "admint-demo-" + os.urandom(8).hex()
    stack = DevStack(data_dir, env={"ADMINT_DEV_API_KEY": api_key, "ADMINT_LOG_LEVEL": "WARNING"})
    print(f"demo: starting the local stack and {len(SERVICES)} services + gateway (logs in {data_dir}/logs)")
    try:
        times = stack.start()
    except (LocalStackError, RuntimeError) as exc:
        print(f"demo: could not start: {exc}", file=sys.stderr)
        stack.stop()
        return 1
    print("demo: up in " + ", ".join(f"{k} {v}s" for k, v in times.items()) + f"; gateway {stack.api_url}")
    out.parent.mkdir(parents=True, exist_ok=True)
    cli_env = {**os.environ, "ADMINT_API_URL": stack.api_url, "ADMINT_API_KEY": api_key}
    began = time.monotonic()
    try:
        code = subprocess.call(
            [
                sys.executable,
                "-m",
                "admint.cli",
                "generate",
                brief,
                "--duration",
                str(duration),
                "--aspect",
                aspect,
                "--out",
                str(out),
            ],
            env=cli_env,
        )
    finally:
        stack.stop()
    elapsed = time.monotonic() - began
    if code == 0:
        print(f"demo: done in {elapsed:.0f}s — your ad is at {out.resolve()}")
    else:
        print(f"demo: generation failed (exit {code}); service logs are in {data_dir}/logs", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m admint.devstack")
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="produce an ad end to end with offline providers")
    d.add_argument("--out", type=Path, default=Path("out/demo.mp4"))
    d.add_argument("--brief", default=DEMO_BRIEF)
    d.add_argument("--duration", type=int, default=30)
    d.add_argument("--aspect", default="9:16")
    args = parser.parse_args(argv)
    return demo(args.out, args.brief, args.duration, args.aspect)


if __name__ == "__main__":
    raise SystemExit(main())

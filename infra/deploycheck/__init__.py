"""Offline validation of admint's deployment files: kustomize renders, Kubernetes and KEDA schemas, the
agreement between ScaledObjects and the code's durable consumers, docker-compose.yml and the Dockerfile.

Entry point: `uv run python infra/k8s_validate.py` (what `make k8s-validate` runs). Each module returns a list
of human-readable problems; an empty list means that check passed.
"""

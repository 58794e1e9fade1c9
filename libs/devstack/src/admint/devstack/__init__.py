"""The local development stack: real servers and every service as processes (never shipped in an image)."""

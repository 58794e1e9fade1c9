"""admint core: what every process runs on. Knows no service, no provider, no media."""

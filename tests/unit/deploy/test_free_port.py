"""free_port picks ports the kernel never hands out on its own, so a server we start cannot lose its port to an
outgoing connection between the pick and its bind (SeaweedFS's S3 listener died of that once in CI)."""

import socket

from admint.devstack.localstack import _ephemeral_low, free_port


def test_ports_are_below_the_ephemeral_range_distinct_and_bindable() -> None:
    ports = [free_port() for _ in range(200)]
    assert len(set(ports)) == len(ports)
    assert all(1024 <= p < _ephemeral_low() for p in ports)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", ports[-1]))  # free when handed out


def test_a_port_in_use_is_never_handed_out() -> None:
    held = []
    try:
        for _ in range(50):  # hold a few picks bound: none of them comes back while held
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", free_port()))
            held.append(s)
        taken = {s.getsockname()[1] for s in held}
        assert not taken & {free_port() for _ in range(200)}
    finally:
        for s in held:
            s.close()

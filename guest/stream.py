#!/usr/bin/env python3
"""Host end of the guest's console_stream case.

Connects to QEMU's virtio-console socket, sends STREAM_BYTES generated
from the shared seed, reads the guest's echo and checks every byte.
Prints one verdict line; exits non-zero on a mismatch or a short echo.
Usage: stream.py <unix-socket> <timeout-seconds>
"""
import socket
import sys
import time

STREAM_BYTES = 1024 * 1024  # must match workload.c
MASK = (1 << 64) - 1


def stream(n, s=0x5EED5EED):
    out = bytearray(n)
    for i in range(n):
        s ^= (s << 13) & MASK
        s ^= s >> 7
        s ^= (s << 17) & MASK
        out[i] = s >> 56
    return bytes(out)


def main():
    path, timeout = sys.argv[1], float(sys.argv[2])
    data = stream(STREAM_BYTES)
    deadline = time.time() + timeout
    while True:
        try:
            sock = socket.socket(socket.AF_UNIX)
            sock.connect(path)
            break
        except OSError:
            if time.time() > deadline:
                sys.exit("stream: cannot connect to " + path)
            time.sleep(0.2)
    sock.settimeout(max(1.0, deadline - time.time()))
    sock.sendall(data)
    echo = bytearray()
    try:
        while len(echo) < STREAM_BYTES:
            chunk = sock.recv(65536)
            if not chunk:
                break
            echo += chunk
    except socket.timeout:
        pass
    bad = sum(a != b for a, b in zip(echo, data))
    ok = len(echo) == STREAM_BYTES and bad == 0
    print("stream: host %s: %d bytes echoed, %d mismatches"
          % ("ok" if ok else "FAILED", len(echo), bad))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

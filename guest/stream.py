#!/usr/bin/env python3
"""Host end of the guest's console_stream and net_stream cases
(guest/workload.c).

Sends STREAM_BYTES generated from the shared seed, reads the guest's echo
and checks every byte.  Prints one line; exits non-zero on a mismatch, a
short echo, or no connection within the timeout.

Usage: stream.py unix:<socket> <timeout-seconds>
         connect to the QEMU chardev socket behind a virtio-serial port
       stream.py tcp:<port-file> <timeout-seconds>
         listen on a free loopback port, write its number to <port-file>
         and wait for the guest, which QEMU's user networking forwards
         from 10.0.2.2:<port>
"""
import os
import selectors
import socket
import sys
import time

STREAM_BYTES = 1024 * 1024  # must match guest/workload.c
STREAM_SEED = 0x5EED5EED    # must match guest/workload.c
MASK = (1 << 64) - 1


def payload(n, s=STREAM_SEED):
    """The top byte of each xorshift64 step, as the guest computes it."""
    out = bytearray(n)
    for i in range(n):
        s ^= (s << 13) & MASK
        s ^= s >> 7
        s ^= (s << 17) & MASK
        out[i] = s >> 56
    return bytes(out)


def accept(port_file, deadline):
    """One connection from the guest, on a port the kernel picks."""
    server = socket.socket(socket.AF_INET)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % server.getsockname()[1])
    os.rename(port_file + ".tmp", port_file)
    server.settimeout(max(deadline - time.monotonic(), 0.1))
    try:
        return server.accept()[0]
    except OSError:
        return None
    finally:
        server.close()


def connect(path, deadline):
    """QEMU creates the socket a moment after it starts: retry."""
    while True:
        sock = socket.socket(socket.AF_UNIX)
        try:
            sock.connect(path)
            return sock
        except OSError:
            sock.close()
            if time.monotonic() > deadline:
                return None
            time.sleep(0.1)


def exchange(sock, data, deadline):
    """Send @data and collect the echo at the same time.

    The guest echoes as it reads and no buffer on the way holds the whole
    payload, so sending everything before reading could deadlock.
    """
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
    sock.setblocking(False)
    sent, echo = 0, bytearray()
    while len(echo) < len(data):
        left = deadline - time.monotonic()
        if left <= 0:
            return sent, echo, "timed out"
        for _, events in sel.select(left):
            try:
                if events & selectors.EVENT_WRITE:
                    sent += sock.send(data[sent:sent + 65536])
                    if sent == len(data):
                        sel.modify(sock, selectors.EVENT_READ)
                if events & selectors.EVENT_READ:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return sent, echo, "QEMU closed the socket"
                    echo += chunk
            except BlockingIOError:
                pass
            except OSError as e:
                return sent, echo, str(e)
    return sent, echo, None


def main():
    if len(sys.argv) != 3 or sys.argv[1].split(":")[0] not in ("unix", "tcp"):
        print(__doc__, file=sys.stderr)
        return 2
    kind, path = sys.argv[1].split(":", 1)
    deadline = time.monotonic() + float(sys.argv[2])
    data = payload(STREAM_BYTES)
    if kind == "unix":
        sock = connect(path, deadline)
    else:
        sock = accept(path, deadline)
    if sock is None:
        print("stream: host FAILED: no connection on %s" % sys.argv[1])
        return 1
    sent, echo, why = exchange(sock, data, deadline)
    sock.close()
    bad = sum(a != b for a, b in zip(echo, data))
    ok = not why and len(echo) == STREAM_BYTES and bad == 0
    print("stream: host %s: %d bytes sent, %d echoed back, %d mismatches%s"
          % ("ok" if ok else "FAILED", sent, len(echo), bad,
             ", " + why if why else ""))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

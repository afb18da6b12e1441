#!/usr/bin/env python3
"""Host end of the guest's console_stream and net_stream cases
(guest/workload.c).

Sends STREAM_BYTES generated from the shared seed, reads the guest's echo
and checks every byte, then sends one byte, "A", to say the echo is all
back: round 0 as soon as the guest connects, then one more round, from
seed + round, each time the guest sends "R" (its soak and device_churn
cases).  Prints one line when QEMU closes the socket; exits non-zero on
a mismatch, a short echo, a stray byte, or no connection within the
timeout.

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


def exchange(sock, data, deadline, echo):
    """Send @data and collect its echo at the same time, after @echo (bytes
    already read).  Returns (bytes sent, the echo, what came after it, why
    it stopped early or None).

    The guest echoes as it reads and no buffer on the way holds the whole
    payload, so sending everything before reading could deadlock.
    """
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
    sent, echo = 0, bytearray(echo)
    try:
        while len(echo) < len(data):
            left = deadline - time.monotonic()
            if left <= 0:
                return sent, echo, b"", "timed out"
            for _, events in sel.select(left):
                try:
                    if events & selectors.EVENT_WRITE:
                        sent += sock.send(data[sent:sent + 65536])
                        if sent == len(data):
                            sel.modify(sock, selectors.EVENT_READ)
                    if events & selectors.EVENT_READ:
                        chunk = sock.recv(65536)
                        if not chunk:
                            return sent, echo, b"", "QEMU closed the socket"
                        echo += chunk
                except BlockingIOError:
                    pass
                except OSError as e:
                    return sent, echo, b"", str(e)
    finally:
        sel.close()
    return sent, echo[:len(data)], bytes(echo[len(data):]), None


def next_request(sock, pending, deadline):
    """The guest's one-byte request for another round, or None once QEMU
    closes the socket (the end of the run) or the time is up."""
    if pending:
        return pending[:1], pending[1:]
    sock.settimeout(max(deadline - time.monotonic(), 0.1))
    try:
        byte = sock.recv(1)
    except OSError:
        byte = b""
    sock.setblocking(False)
    return (byte or None), b""


def main():
    if len(sys.argv) != 3 or sys.argv[1].split(":")[0] not in ("unix", "tcp"):
        print(__doc__, file=sys.stderr)
        return 2
    kind, path = sys.argv[1].split(":", 1)
    deadline = time.monotonic() + float(sys.argv[2])
    if kind == "unix":
        sock = connect(path, deadline)
    else:
        sock = accept(path, deadline)
    if sock is None:
        print("stream: host FAILED: no connection on %s" % sys.argv[1])
        return 1
    sock.setblocking(False)
    rounds = sent = echoed = bad = 0
    pending, why, first_bad = b"", None, ""
    while True:
        data = payload(STREAM_BYTES, STREAM_SEED + rounds)
        n, echo, pending, why = exchange(sock, data, deadline, pending)
        wrong = [i for i, (a, b) in enumerate(zip(echo, data)) if a != b]
        if wrong and not first_bad:
            first_bad = " (first in round %d at byte %d of %d echoed)" % (
                rounds, wrong[0], len(echo))
        rounds, sent, echoed = rounds + 1, sent + n, echoed + len(echo)
        bad += len(wrong)
        if why or len(echo) < STREAM_BYTES:
            break
        # The guest keeps the port open until its echo is all back.
        sock.setblocking(True)
        sock.sendall(b"A")
        sock.setblocking(False)
        request, pending = next_request(sock, pending, deadline)
        if request is None:
            break
        if request != b"R":
            why = "the guest sent %r, not a request for a round" % request
            break
    sock.close()
    ok = not why and bad == 0
    print("stream: host %s: %d round%s, %d bytes sent, %d echoed back, "
          "%d mismatches%s%s" % ("ok" if ok else "FAILED", rounds,
                                 "" if rounds == 1 else "s", sent, echoed, bad,
                                 first_bad, ", " + why if why else ""))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

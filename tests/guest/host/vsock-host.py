#!/usr/bin/env python3
"""Host side of the vsock real-guest test, speaking the avps-vhost-user vsock
device's hybrid Unix-socket protocol (ports/vhost-user/dev_vsock.c).

Usage: vsock-host.py UDS
  UDS_5001  stream echo server (guest connections to host port 5001)
  UDS_5002  seqpacket echo server: each message comes back as one message
  UDS_5003  accepts and closes at once (the guest sees EOF, then a reset)
  UDS       host-initiated: "CONNECT 6000" (retried until the guest listens),
            then echo everything the guest sends
Runs until killed; the guest judges the data (tests/guest/guest/tests/vsock.sh).
"""
import os
import socket
import sys
import threading
import time

uds = sys.argv[1]


def echo(c, seq):
    with c:
        while True:
            try:
                d = c.recv(65536)
            except OSError:
                return
            if not d:
                return
            try:
                if seq:
                    c.send(d)  # one message back per message
                else:
                    c.sendall(d)
            except OSError:
                return


def serve(path, kind, handler):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, kind)
    s.bind(path)
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handler, args=(c,), daemon=True).start()


def host_connect(port):
    deadline = time.time() + 120
    while time.time() < deadline:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(uds)
            s.sendall(b"CONNECT %d\n" % port)
            line = b""
            while not line.endswith(b"\n"):
                ch = s.recv(1)
                if not ch:
                    break
                line += ch
            if line.startswith(b"OK "):
                echo(s, False)
                return
        except OSError:
            pass
        s.close()
        time.sleep(0.2)


servers = [
    (uds + "_5001", socket.SOCK_STREAM, lambda c: echo(c, False)),
    (uds + "_5002", socket.SOCK_SEQPACKET, lambda c: echo(c, True)),
    (uds + "_5003", socket.SOCK_STREAM, lambda c: c.close()),
]
for path, kind, handler in servers:
    threading.Thread(target=serve, args=(path, kind, handler), daemon=True).start()
threading.Thread(target=host_connect, args=(6000,), daemon=True).start()
try:
    while True:
        time.sleep(3600)
except KeyboardInterrupt:
    pass
finally:
    for path, _, _ in servers:
        try:
            os.unlink(path)
        except OSError:
            pass

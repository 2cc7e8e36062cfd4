#!/usr/bin/env python3
"""Host side of the real-guest input test (tests/guest/guest/tests/input.sh).

Connects to avps-vhost-user's input event socket (--device input,socket=PATH),
waits for the guest's LED status event ("status 17 1 1", EV_LED LED_CAPSL on),
then injects KEY_A down, ABS_X/ABS_Y, KEY_A up, each group ended by "syn".
Usage: input-host.py SOCKET [TIMEOUT]
"""
import socket
import sys
import time

path = sys.argv[1]
timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 120.0
end = time.monotonic() + timeout
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
while True:
    try:
        s.connect(path)
        break
    except OSError:
        if time.monotonic() > end:
            print("input-host: cannot connect to", path, flush=True)
            sys.exit(1)
        time.sleep(0.1)
print("input-host: connected", flush=True)
buf = b""
while b"status 17 1 1\n" not in buf:
    s.settimeout(max(0.1, end - time.monotonic()))
    try:
        chunk = s.recv(4096)
    except socket.timeout:
        print("input-host: no LED status from the guest", flush=True)
        sys.exit(1)
    if not chunk:
        print("input-host: daemon closed the socket", flush=True)
        sys.exit(1)
    buf += chunk
print("input-host: got", buf.decode(errors="replace").strip().replace("\n", "; "), flush=True)
s.sendall(b"# KEY_A down\n1 30 1\nsyn\n# pointer\n3 0 1234\n3 1 4321\nsyn\n1 30 0\nsyn\n")
print("input-host: events sent", flush=True)
# Stay until the daemon goes (end of the boot): closing early is fine too,
# but keep the connection so late status lines are logged.
s.settimeout(max(0.1, end - time.monotonic()))
try:
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        print("input-host: got", chunk.decode(errors="replace").strip().replace("\n", "; "), flush=True)
except (socket.timeout, OSError):
    pass

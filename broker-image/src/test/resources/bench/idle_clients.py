#!/usr/bin/env python3
"""Opens N idle goim-protocol connections to a comet (TCP or WebSocket), authenticates each, and holds them
until stdin closes. Runs outside the comet's JVM so that only the server side is measured."""
import json, os, socket, struct, sys

host, port, n, transport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]


def frame(op, body):
    return struct.pack(">ihhii", 16 + len(body), 16, 1, op, 1) + body


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("closed")
        buf += chunk
    return buf


def ws_binary(payload):
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    assert len(payload) < 126
    return bytes([0x82, 0x80 | len(payload)]) + mask + masked


conns = []
for i in range(n):
    s = socket.create_connection((host, port))
    auth = json.dumps({"mid": i, "key": "idle-%d" % i, "room_id": "live://idle-%d" % (i % 100),
                       "platform": "py", "accepts": [1000]}).encode()
    if transport == "tcp":
        s.sendall(frame(7, auth))
        recv_exact(s, 16)
    else:
        s.sendall(("GET /sub HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
                   % (host, port)).encode())
        resp = b""
        while b"\r\n\r\n" not in resp:
            resp += s.recv(1)
        s.sendall(ws_binary(frame(7, auth)))
        recv_exact(s, 2 + 16)
    conns.append(s)
print("connected", len(conns), flush=True)
sys.stdin.read()

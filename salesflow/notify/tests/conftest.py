"""Loopback servers (HTTP robots, SMTP) for delivery tests."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest


class Recorder(HTTPServer):
    """A loopback HTTP server that records each request and answers `reply` (status, JSON body)."""

    requests: list[dict[str, Any]]
    reply: tuple[int, Any]
    reply_headers: dict[str, str]


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        server: Recorder = self.server  # type: ignore[assignment]
        body = self.rfile.read(int(self.headers["Content-Length"]))
        server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        status, reply = server.reply
        payload = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in server.reply_headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[Recorder]:
    """A real HTTP server on 127.0.0.1 and an ephemeral port, answering like a happy robot."""
    server = Recorder(("127.0.0.1", 0), _Handler)
    server.requests, server.reply = [], (200, {"errcode": 0, "errmsg": "ok"})
    server.reply_headers = {}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def url(server: Recorder, path: str) -> str:
    """The loopback URL of `path` on `server`."""
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


class SMTPServer(socketserver.ThreadingTCPServer):
    """A loopback SMTP responder keeping each accepted message (envelope and data)."""

    daemon_threads = True
    messages: list[dict[str, Any]]


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def handle(self) -> None:
        server: SMTPServer = self.server  # type: ignore[assignment]
        self.wfile.write(b"220 loopback ESMTP\r\n")
        envelope: dict[str, Any] = {"from": None, "to": []}
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line.strip().split(b" ", 1)[0].upper()
            if verb == b"EHLO":
                self.wfile.write(b"250-loopback\r\n250 8BITMIME\r\n")
            elif verb == b"HELO":
                self.wfile.write(b"250 loopback\r\n")
            elif verb == b"MAIL":
                envelope = {"from": line.strip()[10:].decode(), "to": []}
                self.wfile.write(b"250 ok\r\n")
            elif verb == b"RCPT":
                envelope["to"].append(line.strip()[8:].decode())
                self.wfile.write(b"250 ok\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 end with <CRLF>.<CRLF>\r\n")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                server.messages.append({**envelope, "data": b"".join(data)})
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:  # RSET, NOOP
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    """A real SMTP server on 127.0.0.1 and an ephemeral port."""
    server = SMTPServer(("127.0.0.1", 0), _SMTPHandler)
    server.messages = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def loopback_is_on_premise(settings: Any) -> None:
    """The loopback servers here stand in for an on-premise robot: the operator allow-lists them.

    By default 127.0.0.1 is refused (test_egress checks that with an empty allow-list).
    """
    settings.SALESFLOW_NOTIFY_ALLOWED_TARGETS = ["127.0.0.1"]

#!/usr/bin/python3
"""An HTTP proxy between httpd and Ceph RGW that injects faults, for the tests.

  faultproxy.py UPSTREAM_URL DIR

Listens on 127.0.0.1 (a free port, written to DIR/port) and passes each
request on to UPSTREAM_URL (Host header, body and all, so SigV4 signatures
stay valid), unless a fault is armed. Faults are armed by POSTing JSON to
/__fault__ (never passed on):

  {"fault": "slowdown"|"reset"|"truncate"|"delay"|"stall"|"down",
   "count": N,            # how many matching requests get it (default 1)
   "method": "PUT",       # optional: only requests with this method
   "path": "regex",       # optional: only requests whose path?query matches
   "seconds": S}          # delay/stall: how long

  slowdown  answer 503 SlowDown (S3's XML), nothing passed on
  reset     pass the request on, then close the connection without an answer
  truncate  pass it on, send the answer's headers and half its body, close
  delay     wait S seconds, then pass it on
  stall     read the request, say nothing for S seconds, close
  down      close every connection at once, without reading (count: seconds)

GET /__fault__ answers {"armed": [...], "injected": {fault: n}, "passed": n}.
DELETE /__fault__ disarms everything.
"""
import http.client
import json
import os
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UP = urllib.parse.urlsplit(sys.argv[1])
DIR = sys.argv[2]
lock = threading.Lock()
armed = []
injected = {}
passed = 0
down_until = 0.0

SLOWDOWN = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
            b'<Message>Please reduce your request rate.</Message>'
            b'<RequestId>fault-proxy</RequestId></Error>')


def take(method, path):
    """The armed fault for this request, counted down, or None."""
    with lock:
        for f in armed:
            if f.get("method") and f["method"] != method:
                continue
            if f.get("path") and not re.search(f["path"], path):
                continue
            f["count"] -= 1
            if f["count"] <= 0:
                armed.remove(f)
            injected[f["fault"]] = injected.get(f["fault"], 0) + 1
            return f
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, ctype="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def control(self):
        global armed, down_until
        if self.command == "POST":
            f = json.loads(self.body())
            f.setdefault("count", 1)
            with lock:
                if f["fault"] == "down":
                    down_until = time.time() + f["count"]
                    injected["down"] = injected.get("down", 0) + 1
                else:
                    armed.append(f)
        elif self.command == "DELETE":
            with lock:
                armed = []
                down_until = 0.0
        with lock:
            state = {"armed": armed, "injected": injected, "passed": passed}
        self.reply(200, json.dumps(state).encode())

    def handle_one_request(self):
        if time.time() < down_until:
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            return
        super().handle_one_request()

    def forward(self):
        global passed
        if self.path.startswith("/__fault__"):
            return self.control()
        body = self.body()
        fault = take(self.command, self.path)
        kind = fault["fault"] if fault else None
        if kind == "slowdown":
            return self.reply(503, SLOWDOWN, "application/xml")
        if kind == "stall":
            time.sleep(fault.get("seconds", 60))
            self.close_connection = True
            return
        if kind == "delay":
            time.sleep(fault.get("seconds", 1))
        conn = http.client.HTTPConnection(UP.hostname, UP.port, timeout=300)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("connection", "keep-alive", "transfer-encoding")}
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            headers["Content-Length"] = str(len(body))
        conn.request(self.command, self.path, body=body if body or self.command in ("PUT", "POST") else None,
                     headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        with lock:
            passed += 1
        if kind == "reset":
            self.close_connection = True
            return
        self.send_response_only(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data[: len(data) // 2] if kind == "truncate" else data)
        if kind == "truncate":
            self.close_connection = True

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = forward


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(os.path.join(DIR, "port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
server.serve_forever()

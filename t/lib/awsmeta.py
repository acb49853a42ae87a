#!/usr/bin/python3
"""The AWS endpoints that hand out temporary credentials, played locally for
the tests (they exist only inside AWS): STS AssumeRoleWithWebIdentity, the
container credentials endpoint of ECS / EKS Pod Identity, and the EC2
instance metadata service (IMDSv2). The credentials it hands out are real
keys of the test RGW, so what httpd signs with them is checked by RGW.

  awsmeta.py DIR

DIR/creds.json   {"AccessKeyId", "SecretAccessKey", "lifetime": seconds}:
                 what every endpoint hands out now (read on each request)
DIR/mode         "ok" (default) or "fail": every answer a 500
DIR/role_arn, DIR/web_token, DIR/ecs_token: what a caller must present
DIR/port         written once listening (127.0.0.1, a free port)
DIR/requests.log one line per request: "METHOD PATH STATUS"

It checks what a real endpoint checks: STS the form fields and the web
identity token, the container endpoint its Authorization header, IMDS a
session token obtained with PUT and its TTL header.
"""
import datetime
import json
import os
import secrets
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

DIR = sys.argv[1]
ROLE = "s3up-test-role"
imds_tokens = set()
lock = threading.Lock()


def read(name, default=None):
    try:
        with open(os.path.join(DIR, name)) as f:
            return f.read().strip()
    except FileNotFoundError:
        return default


def current():
    c = json.loads(read("creds.json"))
    expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
        seconds=int(c.get("lifetime", 3600)))
    c["Expiration"] = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    c["Token"] = "session-" + secrets.token_hex(16)
    remember(c["SecretAccessKey"], c["Token"])
    return c


def remember(*values):
    """Secrets handed out, for t/run's scan of the logs (t/lib/secretscan.py)."""
    if os.environ.get("S3UP_TEST_SECRETS"):
        with lock, open(os.environ["S3UP_TEST_SECRETS"], "a") as f:
            f.write("".join(v + "\n" for v in values))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, ctype="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        path = self.path.split("?")[0]
        with lock, open(os.path.join(DIR, "requests.log"), "a") as f:
            f.write(f"{self.command} {path} {status}\n")

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n).decode() if n else ""

    def failing(self):
        if read("mode", "ok") == "fail":
            self.answer(500, '{"code":"InternalError","message":"playing a broken endpoint"}')
            return True
        return False

    def do_POST(self):  # STS
        form = urllib.parse.parse_qs(self.body())
        if self.failing():
            return
        field = lambda k: (form.get(k) or [""])[0]
        if (self.path != "/" or field("Action") != "AssumeRoleWithWebIdentity"
                or field("Version") != "2011-06-15" or not field("RoleSessionName")):
            return self.sts_error(400, "InvalidAction", "not an AssumeRoleWithWebIdentity call")
        if field("RoleArn") != read("role_arn") or field("WebIdentityToken") != read("web_token"):
            return self.sts_error(400, "InvalidIdentityToken", "wrong role or token")
        c = current()
        xml = ("<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
               "<AssumeRoleWithWebIdentityResult><Credentials>"
               f"<AccessKeyId>{escape(c['AccessKeyId'])}</AccessKeyId>"
               f"<SecretAccessKey>{escape(c['SecretAccessKey'])}</SecretAccessKey>"
               f"<SessionToken>{escape(c['Token'])}</SessionToken>"
               f"<Expiration>{c['Expiration']}</Expiration>"
               "</Credentials></AssumeRoleWithWebIdentityResult>"
               "<ResponseMetadata><RequestId>fake-1</RequestId></ResponseMetadata>"
               "</AssumeRoleWithWebIdentityResponse>")
        self.answer(200, xml, "text/xml")

    def sts_error(self, status, code, message):
        self.answer(status, "<ErrorResponse><Error><Type>Sender</Type>"
                    f"<Code>{code}</Code><Message>{message}</Message></Error>"
                    "<RequestId>fake-2</RequestId></ErrorResponse>", "text/xml")

    def do_PUT(self):  # IMDSv2 session token
        self.body()
        if self.failing():
            return
        if self.path != "/latest/api/token" or not self.headers.get(
                "X-aws-ec2-metadata-token-ttl-seconds"):
            return self.answer(400, "")
        token = secrets.token_hex(16)
        remember(token)
        with lock:
            imds_tokens.add(token)
        self.answer(200, token, "text/plain")

    def do_GET(self):
        if self.failing():
            return
        if self.path == "/ecs/creds":
            if self.headers.get("Authorization") != read("ecs_token"):
                return self.answer(403, '{"code":"AccessDenied","message":"bad token"}')
            c = current()
            return self.answer(200, json.dumps({k: c[k] for k in (
                "AccessKeyId", "SecretAccessKey", "Token", "Expiration")}))
        base = "/latest/meta-data/iam/security-credentials/"
        if self.path.startswith(base):
            with lock:
                known = self.headers.get("X-aws-ec2-metadata-token") in imds_tokens
            if not known:
                return self.answer(401, "")
            if self.path == base:
                return self.answer(200, ROLE, "text/plain")
            if self.path == base + ROLE:
                c = current()
                c.update(Code="Success", Type="AWS-HMAC",
                         LastUpdated=c["Expiration"])
                return self.answer(200, json.dumps(c))
        self.answer(404, "")


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(os.path.join(DIR, "port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
server.serve_forever()

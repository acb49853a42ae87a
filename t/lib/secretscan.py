#!/usr/bin/python3
"""Looks for secrets in the logs the tests leave behind (t/run runs it).

  secretscan.py collect HTTPD_DIR ARCHIVE   copy the logs of a stopped test httpd
                                            (its folder's and its parent's *.log)
                                            into ARCHIVE, and add the secrets its
                                            configuration names to ARCHIVE/secrets
  secretscan.py scan ARCHIVE                every file under ARCHIVE against the
                                            known secrets and the shapes of ours;
                                            exit 1 on a finding
  secretscan.py self-test                   plant each kind of secret in a log and
                                            check that scan finds it, and finds
                                            nothing in the hidden forms

Known secrets (ARCHIVE/secrets, one per line, added to by collect and by the
test bed: t/run, t/lib/awsmeta.py): S3 secret keys, session tokens, the
contents of S3UpSecretFile / S3UpSecretKeyFile / S3UpNotifySecretFile, OIDC
client secrets and passphrases. Shapes, for the secrets made during a test
(nobody writes those down): a presigned signature (X-Amz-Signature=64 hex), a
session token in a query (X-Amz-Security-Token=), a proxy part token (t=
TOKEN.MAC), a link token or share code as a path segment (43 characters of
base64url, our tokens' form) and a passcode form field. A finding prints the
file, the line number, the kind and only the first characters of the secret.
"""
import os
import re
import shutil
import sys
import tempfile

SECRET_FILE_DIRECTIVES = ("S3UpSecretFile", "S3UpSecretKeyFile", "S3UpNotifySecretFile")
INLINE_DIRECTIVES = ("OIDCClientSecret", "OIDCCryptoPassphrase")
# Shorter values are too likely to occur by chance (and none of ours is).
MIN_SECRET = 12

SHAPES = [
    ("presigned signature", re.compile(r"X-Amz-Signature=([0-9a-f]{64})", re.I)),
    ("session token in a query", re.compile(r"X-Amz-Security-Token=([^&\s\"]{8,})", re.I)),
    # TOKEN is expiry.limit.MAC: only the MAC is secret (and hidden).
    ("proxy part token", re.compile(r"[?&]t=(?![^&\s\"]*\[hidden\])([^&\s\"]{16,})")),
    ("link token or share code", re.compile(r"/([A-Za-z0-9_-]{43})(?=[\s\"?/]|$)")),
    ("passcode", re.compile(r"passcode=(?!\[hidden\])([^&\s\"]+)")),
    ("an Authorization header's signature", re.compile(r"Signature=([0-9a-f]{64})")),
]


def conf_files(httpd_dir):
    """httpd.conf and what it Includes (the tests include one file, or a few)."""
    seen, todo = [], [os.path.join(httpd_dir, "httpd.conf")]
    while todo:
        path = todo.pop()
        if path in seen or not os.path.isfile(path):
            continue
        seen.append(path)
        with open(path, errors="replace") as f:
            for line in f:
                m = re.match(r"\s*Include(?:Optional)?\s+\"?([^\"\s]+)", line)
                if m:
                    todo.append(m.group(1))
    return seen


def conf_secrets(httpd_dir):
    found = []
    for path in conf_files(httpd_dir):
        with open(path, errors="replace") as f:
            for line in f:
                words = line.split(None, 1)
                if len(words) < 2:
                    continue
                value = words[1].strip().strip('"')
                if words[0] in SECRET_FILE_DIRECTIVES:
                    try:
                        with open(value, "rb") as s:
                            found.append(s.read().decode("utf-8", "replace").strip())
                    except OSError:
                        pass
                elif words[0] in INLINE_DIRECTIVES:
                    found.append(value)
    return [s for s in found if len(s) >= MIN_SECRET and "\n" not in s]


def collect(httpd_dir, archive):
    os.makedirs(archive, exist_ok=True)
    into = tempfile.mkdtemp(prefix=os.path.basename(os.path.dirname(httpd_dir)) + "-", dir=archive)
    for folder in (httpd_dir, os.path.dirname(httpd_dir)):
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if name.endswith(".log") and os.path.isfile(path):
                shutil.copy(path, os.path.join(into, name))
    add_secrets(archive, conf_secrets(httpd_dir))


def add_secrets(archive, values):
    with open(os.path.join(archive, "secrets"), "a") as f:
        for v in values:
            f.write(v + "\n")


def known_secrets(archive):
    try:
        with open(os.path.join(archive, "secrets"), errors="replace") as f:
            return sorted({v.strip() for v in f if len(v.strip()) >= MIN_SECRET})
    except FileNotFoundError:
        return []


def scan(archive):
    """[(file, line number, kind, secret)] of every finding under archive."""
    known = known_secrets(archive)
    findings, files = [], 0
    for folder, _, names in os.walk(archive):
        for name in sorted(names):
            path = os.path.join(folder, name)
            if path == os.path.join(archive, "secrets"):
                continue
            files += 1
            with open(path, errors="replace") as f:
                for n, line in enumerate(f, 1):
                    for kind, shape in SHAPES:
                        for m in shape.finditer(line):
                            findings.append((path, n, kind, m.group(1)))
                    for secret in known:
                        if secret in line:
                            findings.append((path, n, "a known secret", secret))
    return findings, files, len(known)


def report(findings, archive):
    for path, n, kind, secret in findings[:50]:
        print(f"secretscan: {os.path.relpath(path, archive)}:{n}: {kind} ({secret[:4]}...)",
              file=sys.stderr)


def self_test():
    """Each shape and a known secret are found; their hidden forms are not."""
    archive = tempfile.mkdtemp(prefix="secretscan-")
    try:
        token = "Q" * 43
        leaks = [
            f'GET /up/s3/multipart/u1/1?X-Amz-Signature={"a1" * 32}&x=1 HTTP/1.1',
            "GET /b/k?X-Amz-Security-Token=IQoJb3JpZ2luX2VjEJr HTTP/1.1",
            "PUT /up/s3/multipart/u1/1/data?key=k&t=1796259117.%3C53687.c2lnbmF0dXJlLXRoYXQ HTTP/1.1",
            f"GET /drop/{token} HTTP/1.1",
            f'"GET /s/{token}?x=1 HTTP/1.1"',
            "body passcode=open+sesame+4711",
            f'Authorization: AWS4-HMAC-SHA256 Credential=x, Signature={"b2" * 32}',
            "[s3up] something said the-known-secret-value-0042",
        ]
        clean = [
            '"GET /drop/[hidden] HTTP/1.1" 303',
            '"PUT /up/s3/multipart/u1/1/data?key=k&t=1796259117.%3C5368709120.[hidden] HTTP/1.1"',
            "GET /upload/s3/multipart/2~abcdefghijklmnopqrstuvwxyzABCDE/3?key=uploads/x HTTP/1.1",
            "passcode=[hidden]",
            "S3UP0303 upload: id=0123456789ab endpoint=acme key=uploads/acme/a.bin",
        ]
        os.makedirs(os.path.join(archive, "one"))
        with open(os.path.join(archive, "one", "error.log"), "w") as f:
            f.write("\n".join(leaks + clean) + "\n")
        add_secrets(archive, ["the-known-secret-value-0042"])
        findings, _, _ = scan(archive)
        lines = sorted({n for _, n, _, _ in findings})
        want = list(range(1, len(leaks) + 1))
        if lines != want:
            print(f"secretscan: self-test: findings on lines {lines}, expected {want}",
                  file=sys.stderr)
            return 1
        return 0
    finally:
        shutil.rmtree(archive)


def main(argv):
    if len(argv) == 3 and argv[0] == "collect":
        collect(os.path.abspath(argv[1]), argv[2])
        return 0
    if len(argv) == 2 and argv[0] == "scan":
        findings, files, known = scan(argv[1])
        if findings:
            report(findings, argv[1])
            print(f"secretscan: {len(findings)} secrets found in the logs of {argv[1]}",
                  file=sys.stderr)
            return 1
        print(f"secretscan: {files} logs, {known} known secrets and {len(SHAPES)} shapes: "
              "no secret found", file=sys.stderr)
        return 0
    if argv == ["self-test"]:
        return self_test()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

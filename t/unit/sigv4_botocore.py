#!/usr/bin/python3
"""S3 SigV4 answers from botocore, for t/unit/test_sigv4_s3.c to compare with.

Run with Debian's /usr/bin/python3 (python3-botocore). Everything goes
through a real botocore S3 client (path style, http endpoint, fixed clock
and credentials), so the URLs, headers and policies are what the AWS SDK
would send; URLs and headers are signed once with botocore's Python SigV4
signer and once with the CRT one when awscrt is installed.

  sigv4_botocore.py cases          JSON on stdout: creds, now, presign,
                                   headers and post cases with botocore's
                                   answers
  sigv4_botocore.py post-sign FILE FILE holds [{policy, amz_date, region,
                                   token}]; prints the signatures botocore's
                                   S3 POST signer gives those policies
If botocore cannot be imported, prints {"skip": reason} and exits 0.
"""
import datetime
import hashlib
import json
import random
import sys
import types

try:
    import botocore.auth
    import botocore.credentials
    import botocore.session
    import botocore.signers
    from botocore.awsrequest import AWSRequest
    from botocore.config import Config
except ImportError as e:  # only a missing botocore is a reason to skip
    print(json.dumps({"skip": "botocore not importable: %s" % e}))
    sys.exit(0)

ENDPOINT = "http://127.0.0.1:7480"
BUCKET = "bucket"
REGION = "us-east-1"
NOW = datetime.datetime(2024, 2, 29, 23, 59, 30)  # a leap day, near midnight
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = (
    "FwoGZXIvYXdzEBYaDH+/==example//session+token/with/slashes="
    "IQoJb3JpZ2luX2VjEN3//////////wEaCXVzLWVhc3QtMSJHMEUCIQ=="
)


class FixedDatetime(datetime.datetime):
    @classmethod
    def utcnow(cls):
        return NOW


# botocore reads the clock as datetime.datetime.utcnow() in these modules.
_clock = types.SimpleNamespace(
    datetime=FixedDatetime, timedelta=datetime.timedelta, timezone=datetime.timezone)
botocore.auth.datetime = _clock
botocore.signers.datetime = _clock

# The S3 client signs with the CRT (aws-c-auth) when awscrt is installed, and
# with botocore's own Python signer otherwise. Both are asked: the Python one
# is independent of the AWS test suite's source.
SIGNERS = {"python": {"s3v4": botocore.auth.S3SigV4Auth,
                      "s3v4-query": botocore.auth.S3SigV4QueryAuth}}
try:
    import botocore.crt.auth

    botocore.crt.auth.datetime = _clock
    SIGNERS["crt"] = {"s3v4": botocore.crt.auth.CrtS3SigV4Auth,
                      "s3v4-query": botocore.crt.auth.CrtS3SigV4QueryAuth}
except ImportError:
    pass


def use_signers(impl):
    botocore.auth.AUTH_TYPE_MAPS.update(SIGNERS[impl])


def client(token):
    session = botocore.session.get_session()
    return session.create_client(
        "s3",
        region_name=REGION,
        endpoint_url=ENDPOINT,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=TOKEN if token else None,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            retries={"max_attempts": 0},
        ),
    )


def keys():
    """Hand-picked awkward keys, then random ones from an awkward alphabet."""
    hand = [
        "plain.txt", "a b", "a  b ", " lead space", "a+b", "a%b", "100%", "%41", "%2F",
        "%252F", "~user", "a~b", "a//b", "a///b", "//lead", "/lead", "/", "trail/",
        "dir/sub/file", "q?x=1", "q?", "frag#x", "#", "a&b=c", "=", "&", "a=b=c",
        "semi;colon", "colon:at@", "dollar$", "brackets[]", "braces{}", "pipe|",
        "back\\slash", "quote\"'", "lt<gt>", "caret^`", "comma,", "star*", "bang!",
        "paren()", "tab\there", "new\nline", "dots..", "..", "../x", "./x", "a/./b",
        "a/../b", ".", "dir/.hidden", "-_.~", "UPPER lower 123",
        "caf\u00e9", "Stra\u00dfe", "\u65e5\u672c\u8a9e/\u30d5\u30a1\u30a4\u30eb.txt",
        "emoji \U0001f600.bin", "zero\u200bwidth", "e\u0301combining", "\u1234",
        "\u00a0nbsp", "rtl \u05e9\u05dc\u05d5\u05dd", "x" * 1000, "y" * 1024,
        "\u00e9" * 500, "uploads/cust-1/folder name/sub folder/file (1).tar.gz",
    ]
    alphabet = (
        list("abcXYZ019-_.~ /+%?#&=;:@$!*'(),[]{}|\\\"<>^`")
        + ["//", "%20", "%2F", "\u00e9", "\u65e5", "\U0001f600", "\u200b", ".."]
    )
    rnd = random.Random(20240229)
    generated = []
    while len(generated) < 200:
        k = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 40)))
        if k not in hand and k not in generated:
            generated.append(k)
    return hand + generated


UPLOAD_IDS = [
    "2~iCw_lDY8VoDBl6Lj7DzxIgHkJLNXLEk",
    "VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA",
    "a+b/c=d~e f",
]


def presign_cases(impl):
    use_signers(impl)
    out = []
    clients = {False: client(False), True: client(True)}
    for i, key in enumerate(keys()):
        token = i % 3 == 1
        part = 1 + (i * 37) % 10000
        upload_id = UPLOAD_IDS[i % len(UPLOAD_IDS)]
        expires = [3600, 900, 604800, 1][i % 4]
        url = clients[token].generate_presigned_url(
            "upload_part",
            Params={"Bucket": BUCKET, "Key": key, "PartNumber": part, "UploadId": upload_id},
            ExpiresIn=expires,
        )
        out.append({
            "signer": impl, "key": key, "part": part, "upload_id": upload_id, "token": token,
            "expires": expires, "url": url,
        })
    return out


class Captured(Exception):
    def __init__(self, request):
        super().__init__("captured")
        self.request = request


def capture(request, **kwargs):
    raise Captured(request)


def header_cases(impl):
    use_signers(impl)
    out = []
    bodies = [b"", b"hello world\n", bytes(range(256)) * 4]
    for token in (False, True):
        c = client(token)
        c.meta.events.register("before-send.s3", capture)
        for i, key in enumerate(keys()[:60]):
            body = bodies[i % len(bodies)]
            try:
                if i % 2:
                    c.upload_part(Bucket=BUCKET, Key=key, PartNumber=i + 1,
                                  UploadId=UPLOAD_IDS[i % len(UPLOAD_IDS)], Body=body)
                else:
                    c.put_object(Bucket=BUCKET, Key=key, Body=body,
                                 ContentType="application/octet-stream",
                                 Metadata={"original-name": " name  with   spaces ",
                                           "uploaded-by": "someone@example.com"})
            except Captured as cap:
                r = cap.request
            auth = r.headers["Authorization"]
            auth = auth.decode() if isinstance(auth, bytes) else auth
            signed = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
            headers = []
            for name, value in r.headers.items():
                value = value.decode() if isinstance(value, bytes) else value
                if name.lower() in signed:
                    headers.append([name, value])
            if not any(n.lower() == "host" for n, _ in headers):
                # botocore's Python signer signs the host it takes from the URL.
                headers.append(["host", botocore.auth._host_from_url(r.url)])
            out.append({
                "signer": impl, "method": r.method, "url": r.url, "token": token, "headers": headers,
                "body_sha256": hashlib.sha256(body).hexdigest(), "authorization": auth,
            })
    return out


POST_CASES = [
    {"key": "uploads/cust-1/report.pdf", "conditions": [["content-length-range", 0, 5368709120]]},
    {"key": "uploads/cust-1/${filename}",
     "conditions": [["starts-with", "$Content-Type", ""], {"acl": "private"}]},
    {"key": "uploads/cust-1/a \"quoted\" \\ back/slash & more.txt",
     "conditions": [["content-length-range", 1, 10485760], {"success_action_status": "201"}]},
    {"key": "uploads/cust-1/caf\u00e9 \u65e5\u672c \U0001f600.txt",
     "conditions": [["content-length-range", 0, 1048576]]},
    {"key": "uploads/cust-1/ctl\u0001\u001f.bin", "conditions": []},
]


def post_cases():
    out = []
    for i, case in enumerate(POST_CASES * 2):
        token = i >= len(POST_CASES)
        expires = 3600 if i % 2 else 120  # 120 s from NOW crosses midnight
        post = client(token).generate_presigned_post(
            Bucket=BUCKET, Key=case["key"], Conditions=list(case["conditions"]),
            ExpiresIn=expires,
        )
        fields = post["fields"]
        policy = json.loads(__import__("base64").b64decode(fields["policy"]))
        auth_names = {"x-amz-algorithm", "x-amz-credential", "x-amz-date",
                      "x-amz-security-token"}
        # The conditions botocore signed before adding its own: the caller's
        # plus the bucket and key ones it adds. The C signer gets these.
        conditions = [c for c in policy["conditions"]
                      if not (isinstance(c, dict) and set(c) <= auth_names)]
        # Printable ASCII without escapes: the C signer's jansson output is
        # then byte for byte Python's (jansson writes \u001F, Python \u001f).
        text = json.dumps(policy, ensure_ascii=False)
        out.append({
            "conditions": json.dumps(conditions, ensure_ascii=False),
            "token": token, "expires": expires, "policy": fields["policy"],
            "signature": fields["x-amz-signature"], "fields": fields,
            "exact": all(0x20 <= ord(ch) < 0x7f for ch in text) and "\\u" not in text,
        })
    return out


def post_sign(path):
    with open(path, encoding="utf-8") as f:
        items = json.load(f)
    sigs = []
    for item in items:
        creds = botocore.credentials.Credentials(
            ACCESS_KEY, SECRET_KEY, TOKEN if item["token"] else None)
        signer = botocore.auth.S3SigV4PostAuth(creds, "s3", item["region"])
        request = AWSRequest(method="POST", url=ENDPOINT + "/" + BUCKET)
        request.context["timestamp"] = item["amz_date"]
        sigs.append(signer.signature(item["policy"], request))
    print(json.dumps(sigs))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "post-sign":
        post_sign(sys.argv[2])
        return
    if len(sys.argv) != 2 or sys.argv[1] != "cases":
        sys.exit("usage: sigv4_botocore.py cases | post-sign FILE")
    print(json.dumps({
        "botocore": botocore.__version__,
        "now": int((NOW - datetime.datetime(1970, 1, 1)).total_seconds()),
        "endpoint": ENDPOINT, "bucket": BUCKET, "region": REGION,
        "access_key": ACCESS_KEY, "secret_key": SECRET_KEY, "session_token": TOKEN,
        "signers": sorted(SIGNERS),
        "presign": [c for impl in sorted(SIGNERS) for c in presign_cases(impl)],
        "headers": [c for impl in sorted(SIGNERS) for c in header_cases(impl)],
        "post": post_cases(),
    }))


if __name__ == "__main__":
    main()

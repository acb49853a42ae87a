#!/usr/bin/python3
"""Look at and prepare the test bucket with botocore, independently of
mod_s3up's own S3 code. Reads the S3UP_TEST_* variables of t/lib/rgw.sh.

  s3tool.py sha256 KEY                 sha256 of an object ("-" if absent)
  s3tool.py head KEY                   JSON: size, etag, metadata ("null" if absent)
  s3tool.py list PREFIX                JSON: [{key, size}] of every object
  s3tool.py uploads PREFIX             JSON: [{key, upload_id}] unfinished uploads
  s3tool.py parts KEY UPLOAD_ID        JSON: [part numbers] S3 holds for an upload
                                       ("null" if the upload is gone)
  s3tool.py put KEY FILE               upload a local file (or "-" for empty)
  s3tool.py endpoint ID [k=v ...]      write an endpoint record and member index
                                       (members=a,b max_file_size=N status=...
                                       expires=ISO prefix=...)
  s3tool.py wipe PREFIX                delete every object and unfinished upload
  s3tool.py delete KEY...              delete these objects
  s3tool.py fill PREFIX N [k=v ...]    PUT N small objects PREFIX{000000..}.bin, 32 at
                                       a time, each with the metadata k=v (what the
                                       module writes: uploaded-by=... original-name=...;
                                       "{i}" in a value is the object's number)
  s3tool.py cors ORIGIN...             let browser pages at ORIGIN(s) PUT/POST/GET
                                       to the bucket and read ETag; the rules
                                       already there stay (the bucket is shared
                                       by test runs), the oldest go past 90
"""
import hashlib
import json
import os
import sys
import time

import botocore.session
from botocore.config import Config


def client():
    session = botocore.session.get_session()
    return session.create_client(
        "s3",
        region_name=os.environ.get("S3UP_TEST_REGION", "us-east-1"),
        endpoint_url=os.environ["S3UP_TEST_ENDPOINT"],
        aws_access_key_id=os.environ["S3UP_TEST_ACCESS_KEY"],
        aws_secret_access_key=os.environ["S3UP_TEST_SECRET_KEY"],
        config=Config(s3={"addressing_style": "path"}, max_pool_connections=32),
    )


BUCKET = os.environ.get("S3UP_TEST_BUCKET", "")
STATE = os.environ.get("S3UP_TEST_STATE_PREFIX", ".s3up/")
PREFIX = os.environ.get("S3UP_TEST_PREFIX", "uploads/")


def missing(e):
    return e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")


def cmd_sha256(s3, key):
    try:
        body = s3.get_object(Bucket=BUCKET, Key=key)["Body"]
    except s3.exceptions.ClientError as e:
        if missing(e):
            print("-")
            return
        raise
    h = hashlib.sha256()
    for chunk in iter(lambda: body.read(1 << 20), b""):
        h.update(chunk)
    print(h.hexdigest())


def cmd_head(s3, key):
    try:
        r = s3.head_object(Bucket=BUCKET, Key=key)
    except s3.exceptions.ClientError as e:
        if missing(e):
            print("null")
            return
        raise
    print(json.dumps({"size": r["ContentLength"], "etag": r["ETag"],
                      "content_type": r.get("ContentType"), "metadata": r.get("Metadata", {}),
                      "sse": r.get("ServerSideEncryption"), "kms_key": r.get("SSEKMSKeyId"),
                      "storage_class": r.get("StorageClass")}))


def objects(s3, prefix):
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        for o in page.get("Contents", []):
            yield o


def uploads(s3, prefix):
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=BUCKET, Prefix=prefix):
        for u in page.get("Uploads", []):
            yield u


def cmd_list(s3, prefix):
    print(json.dumps([{"key": o["Key"], "size": o["Size"]} for o in objects(s3, prefix)]))


def cmd_uploads(s3, prefix):
    print(json.dumps([{"key": u["Key"], "upload_id": u["UploadId"]} for u in uploads(s3, prefix)]))


def cmd_parts(s3, key, upload_id):
    numbers = []
    try:
        for page in s3.get_paginator("list_parts").paginate(Bucket=BUCKET, Key=key,
                                                             UploadId=upload_id):
            numbers += [p["PartNumber"] for p in page.get("Parts", [])]
    except s3.exceptions.ClientError as e:
        if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NoSuchUpload"):
            print("null")
            return
        raise
    print(json.dumps(sorted(numbers)))


def cmd_put(s3, key, path):
    data = b"" if path == "-" else open(path, "rb").read()
    s3.put_object(Bucket=BUCKET, Key=key, Body=data)


def cmd_endpoint(s3, eid, *pairs):
    opts = dict(p.split("=", 1) for p in pairs)
    members = [m for m in opts.get("members", "").split(",") if m]
    record = {
        "id": eid,
        "prefix": opts.get("prefix", f"{PREFIX}{eid}/"),
        "members": members,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "created_by": "s3tool",
        "expires": opts.get("expires"),
        "max_file_size": int(opts["max_file_size"]) if "max_file_size" in opts else None,
        "status": opts.get("status", "active"),
        "note": opts.get("note", ""),
    }
    s3.put_object(Bucket=BUCKET, Key=f"{STATE}endpoints/{eid}.json",
                  Body=json.dumps(record).encode(), ContentType="application/json")
    for m in members:
        who = hashlib.sha256(m.encode()).hexdigest()
        s3.put_object(Bucket=BUCKET, Key=f"{STATE}members/{who}/{eid}", Body=b"")


def cmd_wipe(s3, prefix):
    for u in list(uploads(s3, prefix)):
        s3.abort_multipart_upload(Bucket=BUCKET, Key=u["Key"], UploadId=u["UploadId"])
    for o in list(objects(s3, prefix)):
        s3.delete_object(Bucket=BUCKET, Key=o["Key"])


def cmd_delete(s3, *keys):
    for k in keys:
        s3.delete_object(Bucket=BUCKET, Key=k)


def cmd_fill(s3, prefix, n, *pairs):
    from concurrent.futures import ThreadPoolExecutor
    meta = dict(p.split("=", 1) for p in pairs)

    def put(i):
        s3.put_object(Bucket=BUCKET, Key=f"{prefix}{i:06d}.bin", Body=b"%d\n" % i,
                      Metadata={k: v.replace("{i}", str(i)) for k, v in meta.items()})

    with ThreadPoolExecutor(32) as pool:
        list(pool.map(put, range(int(n))))


def cmd_cors(s3, *origins):
    try:
        rules = s3.get_bucket_cors(Bucket=BUCKET)["CORSRules"]
    except s3.exceptions.ClientError as e:
        if e.response.get("Error", {}).get("Code") != "NoSuchCORSConfiguration":
            raise
        rules = []
    rules.append({"AllowedOrigins": list(origins), "AllowedMethods": ["PUT", "POST", "GET"],
                  "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 600})
    s3.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRules": rules[-90:]})


COMMANDS = {"sha256": cmd_sha256, "head": cmd_head, "list": cmd_list, "uploads": cmd_uploads,
            "parts": cmd_parts,
            "put": cmd_put, "endpoint": cmd_endpoint, "wipe": cmd_wipe, "delete": cmd_delete,
            "fill": cmd_fill,
            "cors": cmd_cors}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](client(), *sys.argv[2:])

#!/usr/bin/python3
# Reads Prometheus text on stdin with the Prometheus client library's own
# parser and prints the samples as JSON: [{"name", "labels", "value"}].
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        out.append({"name": s.name, "labels": s.labels, "value": s.value, "type": family.type})
print(json.dumps(out))

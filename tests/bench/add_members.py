"""Adds users to a group the way a client would: PATCH members@odata.bind, 20 references a request
(Graph's cap), on one keep-alive connection.

Usage: add_members.py BASE_URL GROUP_ID IDS_FILE. Prints: ADDED members=N requests=N ms=T.
"""
import http.client
import json
import sys
import time
import urllib.parse


def main():
    base, group, ids_file = sys.argv[1:4]
    with open(ids_file) as f:
        ids = [line.strip() for line in f if line.strip()]
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    t0 = time.perf_counter()
    requests = 0
    for i in range(0, len(ids), 20):
        refs = ["https://graph.microsoft.com/v1.0/directoryObjects/" + x for x in ids[i:i + 20]]
        body = json.dumps({"members@odata.bind": refs})
        conn.request("PATCH", f"/v1.0/groups/{group}", body=body,
                     headers={"Content-Type": "application/json"})
        answer = conn.getresponse()
        text = answer.read()
        if answer.status != 204:
            sys.exit(f"PATCH {requests + 1}: HTTP {answer.status}: {text[:300]!r}")
        requests += 1
    spent = (time.perf_counter() - t0) * 1000
    print(f"ADDED members={len(ids)} requests={requests} ms={spent:.0f}")


if __name__ == "__main__":
    main()

"""Adds users to a group the way a client would: PATCH members@odata.bind, 20 references a request
(Graph's cap), on CONNECTIONS keep-alive connections at once (default 1; an admin tool or an SDK
batch sends a few at a time: adds to one group do not wait for each other).

Usage: add_members.py BASE_URL GROUP_ID IDS_FILE [CONNECTIONS].
Prints: ADDED members=N requests=N connections=C ms=T.
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse


def send(url, group, chunks, failures):
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    for chunk in chunks:
        refs = ["https://graph.microsoft.com/v1.0/directoryObjects/" + x for x in chunk]
        body = json.dumps({"members@odata.bind": refs})
        conn.request("PATCH", f"/v1.0/groups/{group}", body=body,
                     headers={"Content-Type": "application/json"})
        answer = conn.getresponse()
        text = answer.read()
        if answer.status != 204:
            failures.append(f"PATCH: HTTP {answer.status}: {text[:300]!r}")
            return


def main():
    base, group, ids_file = sys.argv[1:4]
    connections = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    with open(ids_file) as f:
        ids = [line.strip() for line in f if line.strip()]
    url = urllib.parse.urlsplit(base)
    chunks = [ids[i:i + 20] for i in range(0, len(ids), 20)]
    failures = []
    threads = [threading.Thread(target=send, args=(url, group, chunks[c::connections], failures))
               for c in range(connections)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    spent = (time.perf_counter() - t0) * 1000
    if failures:
        sys.exit(failures[0])
    print(f"ADDED members={len(ids)} requests={len(chunks)} connections={connections} "
          f"ms={spent:.0f}")


if __name__ == "__main__":
    main()

"""Pages through a collection following @odata.nextLink on one keep-alive connection.

Usage: page_all.py BASE_URL PATH [HEADER=VALUE...]. Prints one line the bench parses:
PAGES pages=N items=N total_ms=T slowest_ms=S, where each page's time runs from sending the
request to the last byte of the answer (the client's JSON parsing is not counted).
"""
import http.client
import json
import sys
import time
import urllib.parse


def main():
    base, path = sys.argv[1], sys.argv[2]
    headers = dict(h.split("=", 1) for h in sys.argv[3:])
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    pages = items = 0
    total = slowest = 0.0
    while path:
        t0 = time.perf_counter()
        conn.request("GET", path, headers=headers)
        answer = conn.getresponse()
        body = answer.read()
        spent = (time.perf_counter() - t0) * 1000
        if answer.status != 200:
            sys.exit(f"page {pages + 1}: HTTP {answer.status}: {body[:300]!r}")
        total += spent
        slowest = max(slowest, spent)
        page = json.loads(body)
        pages += 1
        items += len(page["value"])
        link = page.get("@odata.nextLink")
        path = urllib.parse.urlsplit(link)._replace(scheme="", netloc="").geturl() if link else None
    print(f"PAGES pages={pages} items={items} total_ms={total:.0f} slowest_ms={slowest:.1f}")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Builds a loopback web site from the feed fixtures, for producer_*.sh.

usage: producer_site.py --feeds DIR --out DIR --base URL --manifest FILE

Every fixture of tests/data/feeds/ is served as the producer would meet it
on the web. A URL http(s)://HOST/PATH of the fixtures becomes
BASE/HOST/PATH (BASE is the fixture server, http://127.0.0.1:PORT): the
absolute URLs of the example hosts in the feed texts are rewritten so, and
each feed is served at BASE/example.com/news/NAME, where its relative links
resolve as they do against the unit tests' base URL. Links starting with
"/" resolve to BASE/PATH, so every generated file is written under both
HOST/PATH and PATH.

Generated: the article page of every item link (an HTML page whose body
holds a token unique to it), the feeds a homepage autodiscovers (copies of
rss091.xml) and the sitemaps of the sitemap index (sitemap.xml gzipped,
sitemap-news.xml).

The manifest (JSON) says what each source must publish:
  {"sources": {NAME: URL}, "expect": {NAME: {"tokens": [...],
   "uris": [...], "min": N}}}
tokens: page tokens that must each be in the body of one record of the
source; uris: wire records' uris (the Kafka key), and those of feed items
published from their content alone ("FEED#guid=ID"); min: least number of
records (sources whose count is not exactly known).
"""

import argparse
import gzip
import hashlib
import html
import json
import os
import re
import sys

HOST_RE = re.compile(r"https?://([a-z0-9.-]*example[a-z0-9.-]*)", re.I)
WIRE = ("ninjs1-list.json", "ninjs3.json", "newsml-g2.xml",
        "newsml-message.xml", "nitf.xml")
PAGE_FEEDS = ("rss2.xml", "rss091.xml", "rss092-latin1.xml", "atom.xml",
              "rss10.rdf", "feed.json", "sitemap.xml", "sitemap-news.xml")


def rewrite(data, base):
    """Absolute URLs of example hosts -> BASE/HOST (bytes in, bytes out)."""
    text = data.decode("latin-1")
    text = HOST_RE.sub(lambda m: base + "/" + m.group(1).lower(), text)
    return text.encode("latin-1")


def split_url(url):
    """http(s)://HOST/PATH -> (HOST, PATH without the leading /)."""
    m = re.match(r"https?://([^/]+)/?(.*)$", url)
    if not m:
        raise ValueError("not an absolute URL: " + url)
    return m.group(1).lower(), m.group(2)


def write(out, rel, data):
    path = os.path.join(out, rel)
    if rel == "" or rel.endswith("/"):
        path = os.path.join(path, "index.html")
    d = os.path.dirname(path)
    try:
        os.makedirs(d, exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    except (NotADirectoryError, IsADirectoryError, FileExistsError):
        return False
    return True


def place(out, url, data):
    """Writes data where the producer may ask for url (see above)."""
    host, path = split_url(url)
    write(out, host + "/" + path, data)
    write(out, path, data)


def page(url, title):
    token = "tok" + hashlib.sha1(url.encode()).hexdigest()[:12]
    title = title or "Untitled " + token
    body = (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>%s</title>"
        "<meta property=\"article:published_time\" "
        "content=\"2014-12-21T10:00:00Z\">"
        "<meta name=\"author\" content=\"Ann Writer\"></head>"
        "<body><article><h1>%s</h1>"
        "<p class=\"byline\">By Ann Writer</p>"
        "<p>The first paragraph of this generated article is long enough "
        "to be taken for text by any extractor, and it names %s.</p>"
        "<p>A second paragraph follows, also long enough to count as "
        "body text, so that the page has a main text of a few sentences "
        "and nothing else.</p>"
        "<p>A third paragraph ends the article with one more sentence of "
        "plain words about nothing in particular.</p>"
        "</article></body></html>\n"
        % (html.escape(title), html.escape(title), token))
    return token, body.encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--feeds", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--manifest", required=True)
    args = ap.parse_args()
    base = args.base.rstrip("/")
    feeds, out = args.feeds, args.out

    def load(name):
        with open(os.path.join(feeds, name), "rb") as f:
            return f.read()

    def expected(name):
        with open(os.path.join(feeds, name + ".expected.json")) as f:
            return json.load(f)

    def mapped(url):
        host, path = split_url(url)
        return base + "/" + host + "/" + path

    sources, expect = {}, {}

    def pages_of(name, exp):
        tokens = []
        for it in exp["items"]:
            if it.get("record") or not it.get("link"):
                continue
            if not (it.get("id") or it.get("link")):
                continue
            token, body = page(mapped(it["link"]), it.get("title"))
            place(out, it["link"], body)
            tokens.append(token)
        return tokens

    for name in PAGE_FEEDS + WIRE + ("homepage.html", "sitemap-index.xml",
                                     "malformed.xml"):
        data = load(name)
        if name not in WIRE:
            data = rewrite(data, base)
        write(out, "example.com/news/" + name, data)
        src = name.split(".")[0]
        sources[src] = base + "/example.com/news/" + name
        if name == "malformed.xml":
            continue
        exp = expected(name)
        if name in WIRE:
            expect[src] = {"tokens": [], "uris": [it["record"]["uri"]
                                                  for it in exp["items"]]}
        elif name in PAGE_FEEDS:
            # An item without a link but with content is published from
            # the feed alone, its uri "FEED#guid=ID" (ids here are plain).
            expect[src] = {"tokens": pages_of(name, exp),
                           "uris": [sources[src] + "#guid=" + it["id"]
                                    for it in exp["items"]
                                    if not it.get("link") and it.get("id")
                                    and it.get("content")]}

    # The homepage's feeds: copies of rss091.xml (one item).
    rss091 = rewrite(load("rss091.xml"), base)
    for link in expected("homepage.html")["links"]:
        place(out, link, rss091)
    expect["homepage"] = {"tokens": pages_of("rss091.xml",
                                             expected("rss091.xml")),
                          "uris": []}
    # The sitemap index's children: sitemap.xml (gzipped) and
    # sitemap-news.xml.
    children = expected("sitemap-index.xml")["links"]
    place(out, children[0],
          gzip.compress(rewrite(gzip.decompress(load("sitemap.xml.gz")),
                                base)))
    place(out, children[1], rewrite(load("sitemap-news.xml"), base))
    toks = pages_of("sitemap.xml", expected("sitemap.xml"))
    toks += pages_of("sitemap-news.xml", expected("sitemap-news.xml"))
    expect["sitemap-index"] = {"tokens": toks, "uris": []}

    with open(args.manifest, "w") as f:
        json.dump({"sources": sources, "expect": expect}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

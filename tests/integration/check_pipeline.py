#!/usr/bin/python3
"""Assertions on the JSONL a pipeline run wrote (used by pipeline.sh).

usage: check_pipeline.py --jsonl OUT.jsonl --site DIR [--seed SEED.txt]
                         [--expect-source-prefix URL]

Checks, each printed as "ok: ..." or "FAIL: ...":
  - every line is a JSON object; one record per sample page in DIR (four),
    found by the page path at the end of wirehose.finalUrl, each exactly
    once, with the page's <h1> as its main headline;
  - the seed article's main headline is exactly HEADLINE;
  - its standfirst is a description of the record and is in no body;
  - every body paragraph of the seed is in its plain-text body, in order.
    The paragraphs come from the seed text (--seed, ../shared/seeds/) when
    given, else from the <p> elements of the sample page's article body
    (the page is in the repo; the seed text is not);
  - no chrome line (banner, "More about", "Send us news", teasers heading,
    "Advertisement", the sign-off mark) is in any body of the seed record.
Exit 0 when every check passes, 1 otherwise.
"""

import argparse
import html.parser
import json
import os
import re
import sys

SEED_PAGE = "2014/12/22/obama-china-nork-hack.html"
PAGES = [
    SEED_PAGE,
    "2026/11/20/harbour-bridge-reopens.html",
    "2026/11/24/council-budget-vote.html",
    "2026/11/25/wire-storm-warning.html",
]
HEADLINE = "Now Obama seeks China's help to halt alleged Nork HACK ATTACKS"
STANDFIRST = "Sony saga: Kim Jong Un threatens 'cyber warfare'"
CHROME = [
    "This article is more than 1 year old",
    "More about",
    "Send us news",
    "Other stories you might like",
    "Advertisement",
    "\u00ae",
]
SIGN_OFF = "\u00ae"

failures = []


def check(cond, what):
    if cond:
        print("ok: " + what)
    else:
        print("FAIL: " + what)
        failures.append(what)
    return cond


def norm(text):
    """Collapses whitespace runs (any Unicode space) to one space."""
    return re.sub(r"\s+", " ", text).strip()


def seed_paragraphs(path):
    """Body paragraphs of a seed text: the blocks after the standfirst,
    up to the first chrome line after the body ("More about")."""
    with open(path, encoding="utf-8") as f:
        blocks = [norm(b) for b in re.split(r"\n\s*\n", f.read())]
    blocks = [b for b in blocks if b]
    start = blocks.index(STANDFIRST) + 1
    end = blocks.index("More about")
    paras = blocks[start:end]
    if paras and paras[-1].endswith(SIGN_OFF):
        paras[-1] = paras[-1][:-len(SIGN_OFF)].rstrip()
    return paras


class PageParser(html.parser.HTMLParser):
    """Collects the first <h1> and the text of the <p> elements inside the
    element marked itemprop="articleBody" (blockquotes hold <p>s too)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.h1 = None
        self.paras = []
        self._in_h1 = False
        self._h1_text = []
        self._body_depth = 0      # >0 while inside the article body
        self._p_text = None
        self._stack = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self._body_depth:
            self._body_depth += 1
        elif attrs.get("itemprop") == "articleBody":
            self._body_depth = 1
        if tag == "h1" and self.h1 is None:
            self._in_h1 = True
        if tag == "p" and self._body_depth:
            self._p_text = []

    def handle_endtag(self, tag):
        if tag == "h1" and self._in_h1:
            self._in_h1 = False
            self.h1 = norm("".join(self._h1_text))
        if tag == "p" and self._p_text is not None:
            text = norm("".join(self._p_text))
            if text.endswith(SIGN_OFF):
                text = text[:-len(SIGN_OFF)].rstrip()
            if text:
                self.paras.append(text)
            self._p_text = None
        if self._body_depth:
            self._body_depth -= 1

    def handle_data(self, data):
        if self._in_h1:
            self._h1_text.append(data)
        if self._p_text is not None:
            self._p_text.append(data)


def parse_page(path):
    p = PageParser()
    with open(path, encoding="utf-8") as f:
        p.feed(f.read())
    p.close()
    return p


def values(rec, member, role=None, content_type=None):
    out = []
    items = rec.get(member)
    if not isinstance(items, list):
        return out
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("value"),
                                                        str):
            continue
        if role is not None and item.get("role") != role:
            continue
        if content_type is not None and \
                item.get("contentType") != content_type:
            continue
        out.append(item["value"])
    return out


def html_text(markup):
    """Text of an HTML fragment, entities decoded."""
    class T(html.parser.HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.parts = []

        def handle_data(self, data):
            self.parts.append(data)

        def handle_endtag(self, tag):
            self.parts.append(" ")
    t = T()
    t.feed(markup)
    t.close()
    return norm(" ".join(t.parts))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jsonl", required=True)
    ap.add_argument("--site", required=True, help="examples/site")
    ap.add_argument("--seed", help="the seed text (../shared/seeds/...)")
    ap.add_argument("--expect-source-prefix",
                    help="every finalUrl must start with this")
    args = ap.parse_args()

    records = []
    with open(args.jsonl, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            try:
                rec = json.loads(line)
            except ValueError as e:
                check(False, "line %d is JSON (%s)" % (lineno, e))
                continue
            if check(isinstance(rec, dict),
                     "line %d is a JSON object" % lineno) is False:
                continue
            records.append(rec)
    print("info: %d record(s) in %s" % (len(records), args.jsonl))

    def final_url(rec):
        ext = rec.get("wirehose")
        return ext.get("finalUrl", "") if isinstance(ext, dict) else ""

    by_page = {}
    for page in PAGES:
        found = [r for r in records if final_url(r).endswith("/" + page)]
        by_page[page] = found
        check(len(found) == 1, "page %s ingested exactly once (found %d)"
              % (page, len(found)))
        if len(found) != 1:
            continue
        h1 = parse_page(os.path.join(args.site, page)).h1
        got = values(found[0], "headlines", role="main")
        check(got == [h1], "page %s: main headline is its <h1> %r (got %r)"
              % (page, h1, got))
    check(len(records) == len(PAGES), "%d records in all (got %d)"
          % (len(PAGES), len(records)))
    uris = [r.get("uri") for r in records]
    check(len(set(uris)) == len(uris), "every uri is written once")
    if args.expect_source_prefix:
        bad = [final_url(r) for r in records
               if not final_url(r).startswith(args.expect_source_prefix)]
        check(not bad, "every finalUrl starts with %s (not: %r)"
              % (args.expect_source_prefix, bad))

    with_headline = [r for r in records
                     if HEADLINE in values(r, "headlines", role="main")]
    check(len(with_headline) == 1,
          "exactly one record has the seed headline (found %d)"
          % len(with_headline))
    if len(by_page[SEED_PAGE]) != 1:
        return finish()
    rec = by_page[SEED_PAGE][0]
    print("info: seed record uri %s" % rec.get("uri"))

    check(values(rec, "headlines", role="main") == [HEADLINE],
          "seed main headline is exactly %r (got %r)"
          % (HEADLINE, values(rec, "headlines", role="main")))

    descs = [norm(v) for v in values(rec, "descriptions")]
    check(STANDFIRST in descs,
          "standfirst %r is a description (got %r)" % (STANDFIRST, descs))

    plain = values(rec, "bodies", content_type="text/plain")
    check(len(plain) == 1, "one text/plain body (got %d)" % len(plain))
    body = norm(plain[0]) if plain else ""
    html_bodies = values(rec, "bodies", content_type="text/html")
    html_plain = [html_text(h) for h in html_bodies]
    all_bodies = [body] + html_plain
    print("info: seed body: %d characters, %d html bodies"
          % (len(body), len(html_bodies)))

    check(all(STANDFIRST not in b for b in all_bodies),
          "standfirst is in no body")

    if args.seed:
        paras = seed_paragraphs(args.seed)
        origin = "seed text"
    else:
        paras = parse_page(os.path.join(args.site, SEED_PAGE)).paras
        origin = "sample page (../shared not found)"
    check(len(paras) >= 10, "%d body paragraphs from the %s"
          % (len(paras), origin))
    pos = 0
    for i, para in enumerate(paras, 1):
        at = body.find(para, pos)
        if at < 0:
            anywhere = body.find(para) >= 0
            check(False, "paragraph %d in the body%s: %r"
                  % (i, " (out of order)" if anywhere else "", para))
        else:
            pos = at + len(para)
    missing = [f for f in failures if f.startswith("paragraph ")]
    check(not missing, "all %d paragraphs of the %s are in the body, "
          "in order" % (len(paras), origin))

    for line in CHROME:
        check(all(line not in b for b in all_bodies),
              "chrome %r is in no body" % line)
    for raw in html_bodies:
        check("&reg;" not in raw and "&#174;" not in raw,
              "no sign-off entity in the html body")
    return finish()


def finish():
    if failures:
        print("check_pipeline: %d check(s) failed" % len(failures))
        return 1
    print("check_pipeline: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

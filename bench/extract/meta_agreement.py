#!/usr/bin/env python3
"""Dates and bylines: the structured data of a page against what its
visible text says, and what wirehose-extract chose.

usage: meta_agreement.py --html DIR --records DIR [--show N]

DIR of --html holds the dev set's pages (<id>.html); DIR of --records the
records wirehose-extract wrote for them (<id>.json, from `wirehose-extract
--out-dir`). For every page whose structured data (JSON-LD datePublished /
author, or meta tags: article:published_time, date, pubdate, dc.date,
author, article:author, dc.creator) gives a publication date or a byline:

  - visible: does the page's visible text (scripts, styles and markup
    left out) say the same: the same calendar day in any usual format
    ("July 24, 2012", "24 Jul 2012", "2012-07-24", "07/24/2012"), the
    same author name?
  - ours: does the record's firstCreated fall on the structured date's
    day (UTC or the date as written), is its "by" the structured name?

Prints the counts, and with --show N the first N disagreements of each
kind. Standard library only.
"""
import argparse
import datetime
import html
import html.parser
import json
import os
import re
import sys

MONTHS = ["january", "february", "march", "april", "may", "june", "july",
          "august", "september", "october", "november", "december"]


class Visible(html.parser.HTMLParser):
    """Text outside script/style/head, as one string."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head", "noscript", "template"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head", "noscript", "template") \
                and self.skip > 0:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


META_DATE = ("article:published_time", "date", "pubdate", "publishdate",
             "dc.date", "dc.date.issued", "dcterms.created", "og:published_time",
             "sailthru.date", "publication_date")
META_AUTHOR = ("author", "article:author", "dc.creator", "sailthru.author",
               "byl")
META_RE = re.compile(r"<meta\s[^>]*>", re.I)
ATTR_RE = re.compile(r'([a-zA-Z:.\-_]+)\s*=\s*("([^"]*)"|\'([^\']*)\')')
LD_RE = re.compile(r'<script[^>]+application/ld\+json[^>]*>(.*?)</script>',
                   re.I | re.S)


def ld_objects(doc):
    for m in LD_RE.finditer(doc):
        try:
            data = json.loads(m.group(1).strip())
        except ValueError:
            continue
        stack = [data]
        while stack:
            x = stack.pop()
            if isinstance(x, list):
                stack.extend(x)
            elif isinstance(x, dict):
                yield x
                stack.extend(v for v in x.values()
                             if isinstance(v, (list, dict)))


def person_name(a):
    if isinstance(a, list):
        names = [person_name(x) for x in a]
        return ", ".join(n for n in names if n) or None
    if isinstance(a, dict):
        a = a.get("name")
    if isinstance(a, str) and a.strip() and "://" not in a:
        return a.strip()
    return None


def structured(doc):
    """(date string, author) from JSON-LD first, then meta tags."""
    date = author = None
    for o in ld_objects(doc):
        if date is None and isinstance(o.get("datePublished"), str):
            date = o["datePublished"]
        if author is None and "author" in o:
            author = person_name(o["author"])
    for m in META_RE.finditer(doc):
        attrs = {}
        for a in ATTR_RE.finditer(m.group(0)):
            attrs[a.group(1).lower()] = html.unescape(
                a.group(3) if a.group(3) is not None else a.group(4))
        key = (attrs.get("property") or attrs.get("name") or
               attrs.get("itemprop") or "").lower()
        val = (attrs.get("content") or "").strip()
        if not val:
            continue
        if date is None and (key in META_DATE or key == "datepublished"):
            date = val
        if author is None and key in META_AUTHOR and "://" not in val:
            author = val
    return date, author


DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def day_of(s):
    """(y, m, d) of an ISO-like date string, or None."""
    m = DATE_RE.search(s or "")
    if not m:
        return None
    y, mo, d = (int(g) for g in m.groups())
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return (y, mo, d)


def day_forms(day):
    y, m, d = day
    mon = MONTHS[m - 1]
    forms = ["%d-%02d-%02d" % day, "%02d/%02d/%d" % (m, d, y),
             "%d/%d/%d" % (m, d, y), "%02d.%02d.%d" % (d, m, y),
             "%d/%02d/%02d" % (y, m, d)]
    for name in (mon, mon[:3], mon[:3] + ".", mon[:4] + "."):
        forms += ["%s %d, %d" % (name, d, y), "%s %d %d" % (name, d, y),
                  "%d %s %d" % (d, name, y), "%s %02d, %d" % (name, d, y),
                  "%d. %s %d" % (d, name, y)]
        for suf in ("st", "nd", "rd", "th"):
            forms += ["%s %d%s, %d" % (name, d, suf, y),
                      "%d%s %s %d" % (d, suf, name, y)]
    return forms


def norm(s):
    return re.sub(r"\s+", " ", s or "").strip().lower()


def people(s):
    """A byline as a set of names: "A and B | Site" -> {"a", "b"}."""
    s = norm(s).split(" | ")[0]
    s = re.sub(r"\s+(and|&)\s+", ", ", s)
    return {p.strip() for p in s.split(",") if p.strip()
            and not re.search(r"\.(com|org|net|co\.uk)$", p.strip())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--html", required=True)
    ap.add_argument("--records", required=True)
    ap.add_argument("--show", type=int, default=0)
    a = ap.parse_args()
    n = {"date": 0, "date_vis": 0, "date_ours": 0, "date_none": 0,
         "by": 0, "by_vis": 0, "by_ours": 0, "by_none": 0, "pages": 0}
    bad = {"date": [], "by": []}
    for name in sorted(os.listdir(a.html)):
        if not name.endswith(".html"):
            continue
        pid = name[:-5]
        n["pages"] += 1
        with open(os.path.join(a.html, name), "rb") as f:
            doc = f.read().decode("utf-8", "replace")
        date, author = structured(doc)
        if date is None and author is None:
            continue
        v = Visible()
        try:
            v.feed(doc)
        except Exception:  # html.parser can raise on broken markup
            pass
        vis = norm(" ".join(v.out))
        rec = {}
        try:
            with open(os.path.join(a.records, pid + ".json")) as f:
                rec = json.load(f)
        except (OSError, ValueError):
            pass
        day = day_of(date)
        if day is not None:
            n["date"] += 1
            if any(form in vis for form in day_forms(day)):
                n["date_vis"] += 1
            ours = rec.get("firstCreated")
            if ours is None:
                n["date_none"] += 1
            elif day_of(ours) == day or \
                    (day_of(ours) and abs(datetime.date(*day_of(ours))
                                          - datetime.date(*day)).days <= 1
                     and date[10:11] == "T"):
                # a date-time in another zone may fall on the next day
                n["date_ours"] += 1
            else:
                bad["date"].append((pid, date, ours,
                                    rec.get("wirehose", {})
                                    .get("fieldSources", {})
                                    .get("firstCreated")))
        if author:
            n["by"] += 1
            if norm(author) in vis:
                n["by_vis"] += 1
            ours = rec.get("by")
            if ours is None:
                n["by_none"] += 1
            elif people(ours) == people(author) or \
                    norm(ours) in norm(author) or norm(author) in norm(ours):
                n["by_ours"] += 1
            else:
                bad["by"].append((pid, author, ours,
                                  rec.get("wirehose", {})
                                  .get("fieldSources", {}).get("by")))

    def pct(k, of):
        return "%d/%d (%.0f%%)" % (n[k], n[of], 100.0 * n[k] / n[of]) \
            if n[of] else "0/0"
    print("pages: %d" % n["pages"])
    print("structured date (JSON-LD or meta): %d pages" % n["date"])
    print("  the visible text shows that day:   %s" % pct("date_vis", "date"))
    print("  our firstCreated on that day:      %s" % pct("date_ours", "date"))
    print("  no date in our record:             %s" % pct("date_none", "date"))
    print("structured byline: %d pages" % n["by"])
    print("  the visible text shows that name:  %s" % pct("by_vis", "by"))
    print("  our \"by\" is that name:             %s" % pct("by_ours", "by"))
    print("  no byline in our record:           %s" % pct("by_none", "by"))
    for k in ("date", "by"):
        for row in bad[k][:a.show]:
            print("%s differs: %s structured %r, ours %r (from %s)"
                  % (k, row[0], row[1], row[2], row[3]))


if __name__ == "__main__":
    sys.exit(main())

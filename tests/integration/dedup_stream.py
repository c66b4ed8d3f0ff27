#!/usr/bin/env python3
"""The record stream of the dedup integration tests, and its checks.

  dedup_stream.py gen DIR     writes DIR/phaseN.txt (kcat -K '\\t' input:
                              key TAB record, one per line) for N = 1..5
  dedup_stream.py check FILE  checks the decisions one consumer wrote
                              (JSONL) against what the stream is built to
                              produce
  dedup_stream.py compare A B...  the sink content of the files B... is
                              the same as A's modulo line order and
                              repeated lines (at-least-once after a
                              kill -9), and so is every uri's clusterId,
                              duplicateOf, dedup decision and version

The stream: three wire stories published by their first outlet (phase 1)
with, later, copies under other outlets' uris, one edit kind per phase so
that each copy is closest to what came before it in every run: a dateline
added (phase 2), a sign-off and a chrome line added (3), a sentence
reworded (4), a paragraph cut (5); a different story on the same topic as
story A (phase 1, must stay a cluster of its own); an item re-sent by the
feed (same uri, same body, a new fetch: dropped as a repeat); an updated
article (same uri, body changed: version 2); a copy reached through a
tracker-parameter URL (joins the cluster). Keys are the uris, so the
copies of one story land on different partitions.
"""
import json
import sys

STORIES = {
    "a": (
        "Harbour authority approves dredging plan",
        [
            "The port authority of the coastal city approved on Tuesday a "
            "long-debated plan to deepen the main shipping channel, clearing "
            "the way for larger container vessels to dock at the harbour "
            "within three years.",
            "Board members voted seven to two in favour of the project after "
            "a four-hour public hearing in which fishermen, environmental "
            "groups and shipping companies argued over the likely effects on "
            "the estuary and its oyster beds.",
            "The authority said the dredging would remove about four million "
            "cubic metres of sediment, which would be deposited at an "
            "offshore site already used for maintenance work, and that "
            "monitoring stations would measure turbidity every hour.",
            "Opponents said they would ask a regional court to review the "
            "decision, arguing that the environmental assessment ignored the "
            "breeding season of several protected bird species nesting on "
            "the mudflats near the channel entrance.",
            "Shipping lines welcomed the vote, saying the current depth "
            "forced their largest ships to wait for high tide and to sail "
            "partly loaded, which raised costs for importers and exporters "
            "across the whole region.",
        ],
    ),
    "b": (
        "Orchestra cancels winter tour after funding cut",
        [
            "The national chamber orchestra has cancelled its winter tour of "
            "twelve provincial towns after the culture ministry cut its "
            "annual grant by a fifth, the ensemble's director told reporters "
            "on Wednesday.",
            "The tour, which had been planned for two years, was to bring "
            "concerts of baroque and contemporary music to towns without a "
            "concert hall, often performed in churches, schools and converted "
            "market buildings.",
            "The director said ticket sales could not replace the lost public "
            "money because prices had been kept deliberately low to attract "
            "young listeners and families who rarely attend classical music "
            "performances.",
            "A ministry spokeswoman said the budget reductions applied to all "
            "national cultural institutions and that the orchestra remained "
            "free to seek sponsorship from private companies and charitable "
            "foundations for future tours.",
            "Musicians' unions called the decision short-sighted and said "
            "they would meet the minister next month to discuss the "
            "consequences for freelance players who depend on touring "
            "engagements for much of their yearly income.",
        ],
    ),
    "c": (
        "Rail operator orders forty new regional trains",
        [
            "The state rail operator signed a contract on Thursday for forty "
            "battery-electric regional trains, which will replace diesel "
            "units on six branch lines that have no overhead wires and carry "
            "mostly commuters and students.",
            "The trains, built at a factory in the north of the country, can "
            "run about eighty kilometres on battery power and recharge under "
            "the existing catenary on the main lines or at new charging "
            "points in terminal stations.",
            "The operator said the first units would enter service in spring "
            "of next year after a period of testing, and that all diesel "
            "trains on the branch lines would be withdrawn within four "
            "years.",
            "Local councils along the routes had campaigned for years for "
            "cleaner and quieter trains, and several mayors said the "
            "decision would make the lines more attractive for people who "
            "now commute by car.",
            "The contract also covers maintenance for fifteen years, to be "
            "carried out at an existing depot that will be extended and will "
            "employ about sixty additional technicians.",
        ],
    ),
}

# A different story on story a's topic: same port, same channel, other
# facts. It must never join story a's cluster.
OTHER_A = (
    "Harbour authority names new chief executive",
    [
        "The port authority of the coastal city named a former logistics "
        "manager as its new chief executive on Friday, ending a search that "
        "began when her predecessor resigned over a contract dispute last "
        "spring.",
        "She will take office in January and has promised to modernise the "
        "authority's finances, which auditors criticised last year for "
        "relying too heavily on short-term loans from commercial banks.",
        "Board members said her experience running warehouses and rail "
        "terminals inland would help the harbour compete with larger ports "
        "further along the coast for container traffic from Asia.",
        "Her first task will be to negotiate a new agreement with dock "
        "workers, whose current pay deal expires in March, and to settle a "
        "long dispute with the city over land near the old fish market.",
    ],
)

OUTLETS = {
    "a": "https://harbour-news.example/2026/11/dredging-plan-approved",
    "b": "https://culture-daily.example/music/orchestra-tour-cancelled",
    "c": "https://transport-wire.example/rail/forty-regional-trains",
}
OTHER_URI = "https://harbour-news.example/2026/11/new-chief-executive"

DATELINE = {"a": "PORT CITY (Wire) - ", "b": "CAPITAL (Wire) - ",
            "c": "NORTHTOWN (Wire) - "}
SIGNOFF = "(Reporting by Jane Roe and Tom Poe; editing by Ann Doe)"
CHROME = "Read more: all our coverage of the region, updated every hour."

UPDATE = ("Update: the operator later said two more branch lines could be "
          "added to the order if regional governments agreed to share the "
          "cost of the charging points.")


def copy_uri(story, outlet):
    return "https://%s.example/wire/%s-%s" % (outlet, story, outlet)


def reword(paras):
    """Two words replaced and one dropped in the second paragraph."""
    p = list(paras)
    words = p[1].split()
    words[3] = "members"
    words[6] = "favor"
    del words[10]
    p[1] = " ".join(words)
    return p


def record(uri, headline, paras, fetched, source):
    return {
        "uri": uri,
        "type": "text",
        "headlines": [{"role": "main", "value": headline}],
        "bodies": [{"role": "main", "contentType": "text/plain",
                    "value": "\n\n".join(paras)}],
        "wirehose": {"source": source, "fetchedAt": fetched},
    }


def phases():
    """[[record, ...] per phase]; fetchedAt differs per message."""
    n = [0]

    def t():
        n[0] += 1
        return "2026-11-27T10:%02d:%02dZ" % (n[0] // 60, n[0] % 60)

    p = [[] for _ in range(5)]
    for s, (head, paras) in STORIES.items():
        p[0].append(record(OUTLETS[s], head, paras, t(), "outlet-" + s))
    p[0].append(record(OTHER_URI, OTHER_A[0], OTHER_A[1], t(), "outlet-a"))
    for s, (head, paras) in STORIES.items():
        first = [DATELINE[s] + paras[0]] + paras[1:]
        p[1].append(record(copy_uri(s, "dl"), head, first, t(), "dl"))
    # the feed sends story a's item again: a new fetch, the same body
    head, paras = STORIES["a"]
    p[1].append(record(OUTLETS["a"], head, paras, t(), "outlet-a"))
    for s, (head, paras) in STORIES.items():
        p[2].append(record(copy_uri(s, "so"), head,
                           paras + [SIGNOFF, CHROME], t(), "so"))
    # story b through a tracker-parameter URL (never canonicalized)
    head, paras = STORIES["b"]
    p[2].append(record(OUTLETS["b"] + "?utm_source=feed&utm_medium=rss"
                       "&utm_campaign=wire", head, paras, t(), "tracker"))
    for s, (head, paras) in STORIES.items():
        p[3].append(record(copy_uri(s, "rw"), head, reword(paras), t(), "rw"))
    # story c is updated in place: version 2
    head, paras = STORIES["c"]
    p[3].append(record(OUTLETS["c"], head, paras + [UPDATE], t(),
                       "outlet-c"))
    for s, (head, paras) in STORIES.items():
        p[4].append(record(copy_uri(s, "cut"), head, paras[:-1], t(), "cut"))
    return p


def gen(out_dir):
    for i, recs in enumerate(phases(), 1):
        with open("%s/phase%d.txt" % (out_dir, i), "w",
                  encoding="utf-8") as f:
            for r in recs:
                f.write("%s\t%s\n" % (r["uri"],
                                      json.dumps(r, ensure_ascii=False)))


def load(paths):
    """uri -> {version -> canonical line}; fails on two different lines
    for one (uri, version)."""
    by = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                doc = json.loads(line)
                canon = json.dumps(doc, sort_keys=True, ensure_ascii=False)
                v = doc.get("version", "1")
                old = by.setdefault(doc["uri"], {}).get(v)
                if old is not None and old != canon:
                    sys.exit("%s: two different records for %s version %s"
                             % (path, doc["uri"], v))
                by[doc["uri"]][v] = canon
    return by


def ext(canon):
    return json.loads(canon).get("wirehose", {})


def check(path):
    by = load([path])
    errors = []

    def want(cond, msg):
        if not cond:
            errors.append(msg)

    for s in STORIES:
        orig = OUTLETS[s]
        want(orig in by, "original %s missing" % orig)
        if orig not in by:
            continue
        e = ext(by[orig]["1"])
        want(e.get("dedup") == "new" and e.get("clusterId") == orig,
             "%s: not a new cluster: %s" % (orig, e))
        for outlet in ("dl", "so", "rw", "cut"):
            u = copy_uri(s, outlet)
            if u not in by:
                errors.append("copy %s missing" % u)
                continue
            e = ext(by[u]["1"])
            want(e.get("dedup") == "copy" and e.get("clusterId") == orig
                 and e.get("duplicateOf"),
                 "%s: not a copy in %s's cluster: %s" % (u, orig, e))
    e = ext(by.get(OTHER_URI, {}).get("1", "{}"))
    want(e.get("dedup") == "new" and e.get("clusterId") == OTHER_URI,
         "the different story on story a's topic joined a cluster: %s" % e)
    tracker = [u for u in by if "utm_source" in u]
    want(len(tracker) == 1, "tracker-parameter copy: %d records" % len(tracker))
    for u in tracker:
        e = ext(by[u]["1"])
        want(e.get("dedup") == "copy" and e.get("clusterId") == OUTLETS["b"]
             and e.get("duplicateOf") == OUTLETS["b"],
             "tracker-parameter URL not joined to %s: %s" % (OUTLETS["b"], e))
    want(sorted(by.get(OUTLETS["a"], {})) == ["1"],
         "the re-sent item was written again: %s"
         % sorted(by.get(OUTLETS["a"], {})))
    vs = by.get(OUTLETS["c"], {})
    want(sorted(vs) == ["1", "2"], "story c versions: %s" % sorted(vs))
    if "2" in vs:
        e = ext(vs["2"])
        want(e.get("dedup") == "version"
             and e.get("previousVersion", {}).get("version") == 1
             and e.get("clusterId") == OUTLETS["c"],
             "story c version 2: %s" % e)
    n = sum(len(v) for v in by.values())
    want(n == 18, "%d (uri, version) records, expected 18" % n)
    if errors:
        sys.exit("\n".join(errors))
    print("check: %d records, every decision as built" % n)


def compare(a, bs):
    ra = load([a])
    rb = load(bs)
    errors = []
    for u in sorted(set(ra) | set(rb)):
        va = ra.get(u, {})
        vb = rb.get(u, {})
        if sorted(va) != sorted(vb):
            errors.append("%s: versions %s vs %s" % (u, sorted(va),
                                                     sorted(vb)))
            continue
        for v in va:
            ea, eb = ext(va[v]), ext(vb[v])
            for k in ("clusterId", "duplicateOf", "dedup"):
                if ea.get(k) != eb.get(k):
                    errors.append("%s v%s: %s %r vs %r" % (u, v, k, ea.get(k),
                                                           eb.get(k)))
            if va[v] != vb[v] and not errors:
                errors.append("%s v%s: records differ:\n  %s\n  %s"
                              % (u, v, va[v], vb[v]))
    if errors:
        sys.exit("\n".join(errors[:20]))
    print("compare: %d uris, identical records and clusters" % len(ra))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "gen":
        gen(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "check":
        check(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

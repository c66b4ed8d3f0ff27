#!/bin/bash
# Every feed and wire format end to end: one `wirehose-producer --once`
# polls the fixtures of tests/data/feeds (RSS 0.91, 0.92, 2.0, RSS 1.0
# RDF, Atom, JSON Feed, sitemap, Google News sitemap, a sitemap index, a
# homepage with feed autodiscovery, ninjs 1.x list and 3.x, NewsML-G2
# item and message, NITF) served on loopback, through the dev broker; the
# topic must hold, per source, a record for each item page (found by a
# token of the page in the body) and each wire item (by its uri as key),
# and nothing more.
# shellcheck source=tests/integration/producer_common.sh
. "$(dirname "$0")/producer_common.sh"

# shellcheck disable=SC2034 # read by producer_common.sh
TOPIC=wirehose.formats
start_site
names=(rss2 rss091 rss092-latin1 atom rss10 feed sitemap sitemap-news
    sitemap-index homepage ninjs1-list ninjs3 newsml-g2 newsml-message nitf)
args=()
for n in "${names[@]}"; do
    args+=(--source "$n $(source_url "$n")")
done
run_producer "$WORK/producer.log" 0 -c "$WORK/base.conf" --once "${args[@]}"
grep -q "summary: sources 15 ok, 0 failed" "$WORK/producer.log" ||
    { wh_show "$WORK/producer.log"; fail "not every source polled ok"; }
check_args=()
for n in "${names[@]}"; do
    check_args+=(--source "$n")
done
check --no-dup-keys "${check_args[@]}"
# The kinds were detected from the content, as the log says.
for kind in "rss10: rdf" "sitemap-news.xml: sitemap" "ninjs3.json: ninjs" \
    "nitf.xml: nitf" "newsml-g2.xml: newsml" "feed.json: jsonfeed" \
    "atom.xml: atom" "homepage.html: discover"; do
    grep -q "${kind/: /.*: }" "$WORK/producer.log" ||
        { wh_show "$WORK/producer.log"; fail "log: no '$kind' line"; }
done
echo "producer_formats: all checks passed"

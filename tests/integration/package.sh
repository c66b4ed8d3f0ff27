#!/bin/sh
# Builds the .deb with cpack from the build directory and checks what it
# holds: the binaries that were built, the systemd units (which must start
# binaries the package installs: checked with systemd-analyze verify on the
# unpacked tree), the commented configs under /etc/wirehose (conffiles),
# the state directory, the sysusers.d entry and the Depends line.
#
# Needs WH_SRCDIR and WH_BINDIR (set by ctest). Exits 77 (skip) when
# dpkg-deb or cpack is missing, or when the build did not include
# cmake/packaging.cmake.
set -eu

: "${WH_SRCDIR:?WH_SRCDIR must name the source tree}"
: "${WH_BINDIR:?WH_BINDIR must name the build directory}"

for tool in dpkg-deb cpack; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool not found (apt-get install dpkg-dev cmake)" >&2
        exit 77
    fi
done
if [ ! -f "$WH_BINDIR/CPackConfig.cmake" ]; then
    echo "SKIP: $WH_BINDIR/CPackConfig.cmake missing: the top-level" \
         "CMakeLists.txt does not include cmake/packaging.cmake" >&2
    exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wh-package.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# 1. build the package into a scratch directory
if ! (cd "$WH_BINDIR" && cpack -G DEB -B "$tmp/out") >"$tmp/cpack.log" 2>&1
then
    cat "$tmp/cpack.log" >&2
    echo "FAIL: cpack failed" >&2
    exit 1
fi
deb=
for f in "$tmp"/out/*.deb; do
    [ -f "$f" ] && deb=$f && break
done
if [ -z "$deb" ]; then
    cat "$tmp/cpack.log" >&2
    echo "FAIL: cpack made no .deb" >&2
    exit 1
fi
echo "package: $(basename "$deb")"

dpkg-deb -c "$deb" | awk '{ print $NF }' | sed 's|^\./|/|' >"$tmp/list"
dpkg-deb -f "$deb" >"$tmp/control"

has() {
    grep -qx -- "$1" "$tmp/list" || fail "not in the package: $1"
}

# 2. binaries: every one this build made
nbin=0
for b in wirehose-producer wirehose-consumer wirehose-extract \
         wirehose-replay wirehose-devbroker; do
    if [ -x "$WH_BINDIR/bin/$b" ]; then
        has "/usr/bin/$b"
        nbin=$((nbin + 1))
    fi
done
[ "$nbin" -gt 0 ] || fail "no wirehose binary built in $WH_BINDIR/bin"
if grep -E '^/usr/lib/.*\.a$|/tests?/' "$tmp/list"; then
    fail "static libraries or tests in the package"
fi

# 3. units, user, state directory
has /usr/lib/systemd/system/wirehose-producer@.service
has /usr/lib/systemd/system/wirehose-producer-fleet@.service
has /usr/lib/systemd/system/wirehose-consumer@.service
has /usr/lib/sysusers.d/wirehose.conf
has /var/lib/wirehose/
has /etc/wirehose/

# 4. configs: each deploy/config/*.conf under /etc/wirehose, a conffile
dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles \
    >"$tmp/conffiles" 2>/dev/null || : >"$tmp/conffiles"
nconf=0
for c in "$WH_SRCDIR"/deploy/config/*.conf; do
    [ -f "$c" ] || continue
    name=$(basename "$c")
    has "/etc/wirehose/$name"
    grep -qx "/etc/wirehose/$name" "$tmp/conffiles" ||
        fail "/etc/wirehose/$name is not a conffile"
    nconf=$((nconf + 1))
done
echo "configs: $nconf"
# configs may hold secrets: 0640, and the postinst gives them the
# daemons' group (root:wirehose)
dpkg-deb -c "$deb" >"$tmp/perms"
if grep -E ' \./etc/wirehose/[^/]+\.conf$' "$tmp/perms" |
    grep -v '^-rw-r----- '; then
    fail "configs not installed 0640"
fi
dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./postinst |
    grep -q 'chgrp wirehose /etc/wirehose' ||
    fail "the postinst does not give /etc/wirehose to group wirehose"

# 5. control: dependencies computed, maintainer scripts present
grep -q '^Depends:.*librdkafka' "$tmp/control" ||
    fail "Depends lacks librdkafka: $(grep '^Depends:' "$tmp/control")"
grep -q '^Maintainer: .*<.*@.*>' "$tmp/control" || fail "no Maintainer"
grep -q '^Description: .' "$tmp/control" || fail "no Description"
dpkg-deb --ctrl-tarfile "$deb" | tar -tf - | grep -qx './postinst' ||
    fail "no postinst (creates the wirehose user)"

# 6. the packaged units start the packaged binaries, and verify clean
root="$tmp/root"
dpkg-deb -x "$deb" "$root"
for u in producer consumer; do
    unit="$root/usr/lib/systemd/system/wirehose-$u@.service"
    exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
    [ "$exe" = "/usr/bin/wirehose-$u" ] ||
        fail "wirehose-$u@.service starts '$exe'"
done
if ! command -v systemd-analyze >/dev/null 2>&1 ||
   [ ! -f /lib/systemd/system/sysinit.target ]; then
    echo "note: systemd-analyze or the system units missing:" \
         "unit verification skipped (apt-get install systemd)"
else
    # the host's units give the targets ours depend on; binaries the
    # package does not ship (kill) get stand-ins, only their presence counts
    cp -rn /lib/systemd/system/. "$root/usr/lib/systemd/system/"
    mkdir -p "$root/bin"
    printf '#!/bin/sh\n' >"$root/bin/kill"
    chmod +x "$root/bin/kill"
    for u in producer consumer; do
        [ -x "$root/usr/bin/wirehose-$u" ] && continue
        # not built in this tree: verify the unit anyway
        printf '#!/bin/sh\n' >"$root/usr/bin/wirehose-$u"
        chmod +x "$root/usr/bin/wirehose-$u"
    done
    if ! (cd "$tmp" && systemd-analyze verify --root="$root" \
            wirehose-producer@pkgtest.service \
            wirehose-producer-fleet@pkgtest.service \
            wirehose-consumer@pkgtest.service) >"$tmp/verify.log" 2>&1 ||
       [ -s "$tmp/verify.log" ]; then
        cat "$tmp/verify.log" >&2
        fail "systemd-analyze verify"
    else
        echo "systemd-analyze verify: clean"
    fi
fi

if [ "$failures" -ne 0 ]; then
    echo "package.sh: $failures failure(s)" >&2
    exit 1
fi
echo "PASS: package contents"

/*
 * charset.c - any page to valid UTF-8 before libxml2 sees it, so the
 * parser never guesses and the output is never invalid. Order of
 * evidence, as browsers do it: BOM, HTTP charset, <meta charset> or
 * http-equiv in the first bytes, <?xml encoding?>, then sniffing.
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract_int.h"
#include "wh/utf8.h"
#include "wh/wh.h"

#define PRESCAN_BYTES 4096

/* windows-1252 code points of 0x80..0x9F (0 = unassigned). */
static const uint16_t cp1252_hi[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

/* Counts invalid UTF-8 sequences and non-ASCII valid ones in s. */
static void utf8_stats(const unsigned char *s, size_t n, size_t *bad,
                       size_t *good_hi)
{
    size_t i = 0;

    *bad = 0;
    *good_hi = 0;
    while (i < n) {
        size_t k;

        if (s[i] < 0x80) {
            i++;
            continue;
        }
        k = wh_utf8_valid(s + i, n - i);
        if (k == 0) {
            (*bad)++;
            i++;
        } else {
            (*good_hi)++;
            i += k;
        }
    }
}

/* Is c a control character we drop (C0 other than tab, LF, FF, CR)? */
static int drop_ctl(unsigned char c)
{
    return c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f';
}

/* Is s already what we hand to libxml2: valid UTF-8 with no control
 * character to drop? (The usual case: no copy is needed.) */
static int utf8_is_clean(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        if (i + 8 <= n) {
            uint64_t w;

            memcpy(&w, s + i, 8);
            if (((w | (w - 0x2020202020202020ull)) & 0x8080808080808080ull) ==
                0) {
                i += 8;
                continue;
            }
        }
        if (s[i] < 0x80) {
            if (drop_ctl(s[i])) {
                return 0;
            }
            i++;
        } else {
            size_t k = wh_utf8_valid(s + i, n - i);

            if (k == 0) {
                return 0;
            }
            i += k;
        }
    }
    return 1;
}

/* UTF-8 (possibly broken) -> clean UTF-8. With cp1252_fallback, a byte
 * that starts no valid sequence is read as windows-1252 instead of
 * becoming U+FFFD (pages that are UTF-8 with a few stray legacy bytes). */
static char *clean_utf8(const unsigned char *s, size_t n, int cp1252_fallback,
                        size_t *out_len)
{
    char *out = wh_xmalloc(n * 3 + 1);
    size_t i = 0;
    size_t o = 0;

    while (i < n) {
        unsigned char c = s[i];
        size_t k;

        /* fast path: 8 bytes of printable ASCII at a time */
        if (i + 8 <= n) {
            uint64_t w;

            memcpy(&w, s + i, 8);
            if (((w | (w - 0x2020202020202020ull)) & 0x8080808080808080ull) ==
                0) {
                memcpy(out + o, s + i, 8);
                o += 8;
                i += 8;
                continue;
            }
        }
        if (c < 0x80) {
            if (!drop_ctl(c)) {
                out[o++] = (char)c;
            }
            i++;
            continue;
        }
        k = wh_utf8_valid(s + i, n - i);
        if (k != 0) {
            memcpy(out + o, s + i, k);
            o += k;
            i += k;
            continue;
        }
        if (cp1252_fallback) {
            uint32_t cp = c;

            if (c < 0xA0) {
                cp = cp1252_hi[c - 0x80] != 0 ? cp1252_hi[c - 0x80] : 0xFFFD;
            }
            o += wh_utf8_put(cp, out + o);
        } else {
            o += wh_utf8_put(0xFFFD, out + o);
        }
        i++;
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

static char *from_cp1252(const unsigned char *s, size_t n, size_t *out_len)
{
    char *out = wh_xmalloc(n * 3 + 1);
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];

        if (c < 0x80) {
            if (!drop_ctl(c)) {
                out[o++] = (char)c;
            }
        } else if (c < 0xA0) {
            uint32_t cp = cp1252_hi[c - 0x80];

            o += wh_utf8_put(cp != 0 ? cp : 0xFFFD, out + o);
        } else {
            o += wh_utf8_put(c, out + o);
        }
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

/* Each thread keeps the converter of the last legacy charset it met and
 * reuses it for the next page in that charset (feeds rarely mix them);
 * it is replaced when the charset changes. */
static _Thread_local struct {
    iconv_t cd;
    char cs[40];
    int open;
} conv;

/* Makes conv.cd a converter from cs to UTF-8 in its initial state.
 * Returns 0, or -1 when iconv does not know cs. */
static int conv_get(const char *cs)
{
    if (conv.open && strcmp(conv.cs, cs) == 0) {
        iconv(conv.cd, NULL, NULL, NULL, NULL);
        return 0;
    }
    if (conv.open) {
        iconv_close(conv.cd);
        conv.open = 0;
    }
    if (strlen(cs) >= sizeof(conv.cs)) {
        return -1;
    }
    conv.cd = iconv_open("UTF-8", cs);
    /* iconv_open() fails with (iconv_t)-1; compared as an integer */
    if ((uintptr_t)conv.cd == UINTPTR_MAX) {
        return -1;
    }
    snprintf(conv.cs, sizeof(conv.cs), "%s", cs);
    conv.open = 1;
    return 0;
}

/* Converts with iconv; undecodable input becomes U+FFFD. Returns NULL
 * when iconv does not know the charset. The result is then cleaned like
 * any UTF-8 (drops controls, guarantees validity). */
static char *from_iconv(const char *cs, const char *in, size_t n,
                        size_t *out_len)
{
    size_t cap = n * 2 + 64;
    char *raw;
    char *ip = (char *)in; /* iconv's prototype is not const-correct */
    size_t il = n;
    char *op;
    size_t ol;
    char *res;

    if (conv_get(cs) != 0) {
        return NULL;
    }
    raw = wh_xmalloc(cap);
    op = raw;
    ol = cap - 4;
    while (il > 0) {
        size_t r = iconv(conv.cd, &ip, &il, &op, &ol);

        if (r != (size_t)-1) {
            break;
        }
        if (errno == E2BIG) {
            size_t used = (size_t)(op - raw);

            cap *= 2;
            raw = wh_xrealloc(raw, cap);
            op = raw + used;
            ol = cap - used - 4;
        } else if (errno == EILSEQ || errno == EINVAL) {
            /* room for 3 bytes is kept by the "- 4" above */
            if (ol < 4) {
                size_t used = (size_t)(op - raw);

                cap *= 2;
                raw = wh_xrealloc(raw, cap);
                op = raw + used;
                ol = cap - used - 4;
            }
            op += wh_utf8_put(0xFFFD, op);
            ol -= 3;
            ip++;
            il--;
            iconv(conv.cd, NULL, NULL, NULL, NULL);
        } else {
            break;
        }
    }
    res =
        clean_utf8((const unsigned char *)raw, (size_t)(op - raw), 0, out_len);
    free(raw);
    return res;
}

/* Maps a charset label to what we decode it as (WHATWG aliases: latin-1
 * and ASCII are windows-1252). Returns a static name. */
static const char *charset_canon(const char *label, size_t n)
{
    static const struct {
        const char *label;
        const char *name;
    } map[] = {
        {"utf-8", "UTF-8"},
        {"utf8", "UTF-8"},
        {"unicode-1-1-utf-8", "UTF-8"},
        {"iso-8859-1", "WINDOWS-1252"},
        {"iso8859-1", "WINDOWS-1252"},
        {"latin1", "WINDOWS-1252"},
        {"latin-1", "WINDOWS-1252"},
        {"l1", "WINDOWS-1252"},
        {"us-ascii", "WINDOWS-1252"},
        {"ascii", "WINDOWS-1252"},
        {"windows-1252", "WINDOWS-1252"},
        {"cp1252", "WINDOWS-1252"},
        {"x-cp1252", "WINDOWS-1252"},
        {"iso_8859-1", "WINDOWS-1252"},
        {"cp819", "WINDOWS-1252"},
        {"shift_jis", "CP932"},
        {"shift-jis", "CP932"},
        {"sjis", "CP932"},
        {"x-sjis", "CP932"},
        {"ms_kanji", "CP932"},
        {"windows-31j", "CP932"},
        {"cp932", "CP932"},
        {"gb2312", "GB18030"},
        {"gbk", "GB18030"},
        {"gb18030", "GB18030"},
        {"x-gbk", "GB18030"},
        {"euc-kr", "CP949"},
        {"ks_c_5601-1987", "CP949"},
        {"big5", "BIG5-HKSCS"},
        {"euc-jp", "EUC-JP"},
        {"iso-2022-jp", "ISO-2022-JP"},
        {"windows-1250", "WINDOWS-1250"},
        {"windows-1251", "WINDOWS-1251"},
        {"windows-1253", "WINDOWS-1253"},
        {"windows-1254", "WINDOWS-1254"},
        {"windows-1255", "WINDOWS-1255"},
        {"windows-1256", "WINDOWS-1256"},
        {"windows-1257", "WINDOWS-1257"},
        {"windows-1258", "WINDOWS-1258"},
        {"cp1250", "WINDOWS-1250"},
        {"cp1251", "WINDOWS-1251"},
        {"iso-8859-2", "ISO-8859-2"},
        {"iso-8859-5", "ISO-8859-5"},
        {"iso-8859-7", "ISO-8859-7"},
        {"iso-8859-9", "WINDOWS-1254"},
        {"iso-8859-15", "ISO-8859-15"},
        {"koi8-r", "KOI8-R"},
        {"koi8-u", "KOI8-U"},
        {"utf-16", "UTF-8"},
        {"utf-16le", "UTF-8"},
        {"utf-16be", "UTF-8"},
    };
    char buf[40];
    size_t i;

    while (n > 0 && (*label == ' ' || *label == '"' || *label == '\'')) {
        label++;
        n--;
    }
    if (n == 0 || n >= sizeof(buf)) {
        return NULL;
    }
    for (i = 0; i < n; i++) {
        char c = label[i];

        buf[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    buf[n] = '\0';
    for (i = 0; i < WH_ARRAY_SIZE(map); i++) {
        if (strcmp(buf, map[i].label) == 0) {
            return map[i].name;
        }
    }
    return NULL; /* unknown labels: sniff instead */
}

/* Returns the label after "charset=" or "encoding=" at p: start and
 * length. */
static size_t label_at(const char *p, const char *end, const char **start)
{
    size_t n = 0;

    while (p < end && (*p == ' ' || *p == '=' || *p == '"' || *p == '\'')) {
        p++;
    }
    *start = p;
    while (p + n < end && p[n] != '"' && p[n] != '\'' && p[n] != ' ' &&
           p[n] != ';' && p[n] != '>' && p[n] != '/' && p[n] != '?' &&
           p[n] != '\n') {
        n++;
    }
    return n;
}

static int ci_eq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char x = a[i];
        char y = b[i];

        if (x >= 'A' && x <= 'Z') {
            x = (char)(x + 32);
        }
        if (x != y) {
            return 0;
        }
    }
    return 1;
}

/* Looks for charset= inside <meta ...> or encoding= in <?xml ...?> within
 * the first PRESCAN_BYTES. */
static const char *prescan(const char *s, size_t n)
{
    const char *end = s + (n < PRESCAN_BYTES ? n : PRESCAN_BYTES);
    const char *p = s;

    while (p < end) {
        const char *lt = memchr(p, '<', (size_t)(end - p));
        const char *gt;

        if (lt == NULL) {
            break;
        }
        gt = memchr(lt, '>', (size_t)(end - lt));
        if (gt == NULL) {
            break;
        }
        if (end - lt > 5 &&
            (ci_eq(lt + 1, "meta", 4) || ci_eq(lt + 1, "?xml", 4))) {
            const char *key = ci_eq(lt + 1, "meta", 4) ? "charset" : "encoding";
            size_t kl = strlen(key);

            for (const char *q = lt; q + kl < gt; q++) {
                if (ci_eq(q, key, kl)) {
                    const char *lab;
                    size_t ln = label_at(q + kl, gt, &lab);
                    const char *cs;

                    if (ln == 0) {
                        continue;
                    }
                    cs = charset_canon(lab, ln);
                    if (cs != NULL) {
                        return cs;
                    }
                }
            }
        }
        p = gt + 1;
    }
    return NULL;
}

int wh_extract_looks_binary(const char *in, size_t len)
{
    size_t n = len < 1024 ? len : 1024;
    size_t ctl = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];

        if (c == 0) {
            return 1;
        }
        if (drop_ctl(c) && c != 0x1B) {
            ctl++;
        }
    }
    return n > 0 && ctl * 20 > n;
}

char *wh_extract_to_utf8(const char *in, size_t len, const char *http_charset,
                         size_t *out_len, const char **out_charset)
{
    const unsigned char *u = (const unsigned char *)in;
    const char *cs = NULL;
    char *res;

    if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
        *out_charset = "UTF-8";
        return clean_utf8(u + 3, len - 3, 0, out_len);
    }
    *out_len = len;
    if (len >= 2 &&
        ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) {
        const char *utf16 = u[0] == 0xFF ? "UTF-16LE" : "UTF-16BE";

        res = from_iconv(utf16, in + 2, len - 2, out_len);
        if (res != NULL) {
            *out_charset = utf16;
            return res;
        }
    }
    if (http_charset != NULL) {
        cs = charset_canon(http_charset, strlen(http_charset));
    }
    if (cs == NULL) {
        cs = prescan(in, len);
    }
    if (cs == NULL) {
        size_t bad;
        size_t good;

        /* Sniff: valid UTF-8 (or nearly so: a few stray legacy bytes in
         * an otherwise UTF-8 page) is UTF-8; otherwise windows-1252. */
        if (utf8_is_clean(u, len)) {
            *out_charset = "UTF-8";
            return NULL;
        }
        utf8_stats(u, len, &bad, &good);
        if (bad == 0 || good > bad * 4) {
            *out_charset = "UTF-8";
            return clean_utf8(u, len, 1, out_len);
        }
        *out_charset = "WINDOWS-1252";
        return from_cp1252(u, len, out_len);
    }
    if (strcmp(cs, "UTF-8") == 0) {
        *out_charset = cs;
        return utf8_is_clean(u, len) ? NULL : clean_utf8(u, len, 0, out_len);
    }
    if (strcmp(cs, "WINDOWS-1252") == 0) {
        size_t bad;
        size_t good;

        /* Many pages declare latin-1 but are UTF-8: trust the bytes when
         * they are valid UTF-8 with some non-ASCII text. */
        utf8_stats(u, len, &bad, &good);
        if (bad == 0 && good > 0) {
            *out_charset = "UTF-8";
            return utf8_is_clean(u, len) ? NULL
                                         : clean_utf8(u, len, 0, out_len);
        }
        *out_charset = cs;
        return from_cp1252(u, len, out_len);
    }
    res = from_iconv(cs, in, len, out_len);
    if (res != NULL) {
        *out_charset = cs;
        return res;
    }
    *out_charset = "UTF-8";
    return clean_utf8(u, len, 1, out_len);
}

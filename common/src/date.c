/*
 * date.c - the date formats of feeds, meta tags and wire formats, parsed
 * by hand (no strptime: it depends on the locale and accepts too much).
 */
#include "wh/date.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "wh/wh.h"

struct scan {
    const char *p;
    const char *end;
};

struct fields {
    int year;
    int mon; /* 1..12 */
    int day; /* 1..31 */
    int hour;
    int min;
    int sec;
    long off; /* seconds east of UTC */
};

static int at_end(const struct scan *sc)
{
    return sc->p >= sc->end;
}

static int peek(const struct scan *sc)
{
    return at_end(sc) ? -1 : (unsigned char)*sc->p;
}

static int accept_char(struct scan *sc, int c)
{
    if (peek(sc) == c) {
        sc->p++;
        return 1;
    }
    return 0;
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void skip_blanks(struct scan *sc)
{
    while (is_blank(peek(sc))) {
        sc->p++;
    }
}

/* Reads exactly n digits. */
static int read_digits(struct scan *sc, int n, int *out)
{
    int v = 0;
    int i;

    for (i = 0; i < n; i++) {
        if (!is_digit(peek(sc))) {
            return -1;
        }
        v = v * 10 + (*sc->p - '0');
        sc->p++;
    }
    *out = v;
    return 0;
}

/* Reads 1 to max digits; returns how many, or 0 when none. */
static int read_upto_digits(struct scan *sc, int max, int *out)
{
    int v = 0;
    int n = 0;

    while (n < max && is_digit(peek(sc))) {
        v = v * 10 + (*sc->p - '0');
        sc->p++;
        n++;
    }
    *out = v;
    return n;
}

/* Reads a run of letters into word (NUL-terminated); 0 when none or too
 * long for word. */
static size_t read_word(struct scan *sc, char *word, size_t size)
{
    size_t n = 0;

    while (isalpha(peek(sc))) {
        if (n + 1 >= size) {
            return 0;
        }
        word[n++] = *sc->p;
        sc->p++;
    }
    word[n] = '\0';
    return n;
}

/* Index in names[] whose 3-letter abbreviation or full name is word. */
static int match_name(const char *word, const char *const *names, int count)
{
    int i;

    for (i = 0; i < count; i++) {
        if (strcasecmp(word, names[i]) == 0 ||
            (strlen(word) == 3 && strncasecmp(word, names[i], 3) == 0)) {
            return i;
        }
    }
    return -1;
}

static const char *const month_names[] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December",
};

static const char *const day_names[] = {
    "Sunday",   "Monday", "Tuesday",  "Wednesday",
    "Thursday", "Friday", "Saturday",
};

/* A zone: "Z", "+HH:MM", "+HHMM", "+HH", one of the RFC 822 names, a
 * military letter or a common abbreviation feeds use although RFC 822
 * has none of them. Abbreviations that name several zones (IST: India,
 * Ireland, Israel; CST: also China) keep their RFC 822 or most common
 * meaning or are left out. */
static int parse_zone(struct scan *sc, long *off, int military)
{
    static const struct {
        const char *name;
        int minutes;
    } zones[] = {
        {"Z", 0},
        {"UT", 0},
        {"UTC", 0},
        {"GMT", 0},
        {"EST", -5 * 60},
        {"EDT", -4 * 60},
        {"CST", -6 * 60},
        {"CDT", -5 * 60},
        {"MST", -7 * 60},
        {"MDT", -6 * 60},
        {"PST", -8 * 60},
        {"PDT", -7 * 60},
        {"AKST", -9 * 60},
        {"AKDT", -8 * 60},
        {"HST", -10 * 60},
        {"AST", -4 * 60},
        {"ADT", -3 * 60},
        {"NST", -3 * 60 - 30},
        {"NDT", -2 * 60 - 30},
        {"WET", 0},
        {"WEST", 60},
        {"BST", 60},
        {"CET", 60},
        {"CEST", 120},
        {"MET", 60},
        {"MEST", 120},
        {"EET", 120},
        {"EEST", 180},
        {"MSK", 180},
        {"SGT", 480},
        {"HKT", 480},
        {"JST", 540},
        {"KST", 540},
        {"AWST", 480},
        {"ACST", 570},
        {"ACDT", 630},
        {"AEST", 600},
        {"AEDT", 660},
        {"NZST", 720},
        {"NZDT", 780},
    };
    char word[8];
    int sign;
    int hh;
    int mm = 0;
    size_t i;

    if (peek(sc) == '+' || peek(sc) == '-') {
        sign = *sc->p == '-' ? -1 : 1;
        sc->p++;
        if (read_digits(sc, 2, &hh) != 0) {
            return -1;
        }
        if (accept_char(sc, ':')) {
            if (read_digits(sc, 2, &mm) != 0) {
                return -1;
            }
        } else if (is_digit(peek(sc))) {
            if (read_digits(sc, 2, &mm) != 0) {
                return -1;
            }
        }
        if (hh > 23 || mm > 59) {
            return -1;
        }
        *off = sign * (hh * 3600L + mm * 60L);
        return 0;
    }
    if (read_word(sc, word, sizeof(word)) == 0) {
        return -1;
    }
    for (i = 0; i < WH_ARRAY_SIZE(zones); i++) {
        if (strcasecmp(word, zones[i].name) == 0) {
            *off = zones[i].minutes * 60L;
            return 0;
        }
    }
    /* RFC 822's military letters had their signs inverted, so RFC 2822
     * (4.3) says to read them as -0000: UTC, the offset unknown. */
    if (military && strlen(word) == 1 && word[0] != 'J' && word[0] != 'j') {
        *off = 0;
        return 0;
    }
    return -1;
}

/* Optional zone, then the end of the input. No zone means UTC. Military
 * letters only in RFC 822 dates (military non-zero). */
static int parse_zone_end(struct scan *sc, long *off, int military)
{
    skip_blanks(sc);
    *off = 0;
    if (at_end(sc)) {
        return 0;
    }
    if (parse_zone(sc, off, military) != 0) {
        return -1;
    }
    skip_blanks(sc);
    /* A comment after the zone, "+0000 (UTC)" or "-0500 (EST)". */
    if (peek(sc) == '(') {
        while (!at_end(sc) && *sc->p != ')') {
            sc->p++;
        }
        if (!accept_char(sc, ')')) {
            return -1;
        }
        skip_blanks(sc);
    }
    return at_end(sc) ? 0 : -1;
}

/* "HH:MM[:SS[.frac]]" (the colons optional in the compact form). */
static int parse_time(struct scan *sc, struct fields *f, int extended)
{
    if (read_digits(sc, 2, &f->hour) != 0) {
        return -1;
    }
    if (extended && !accept_char(sc, ':')) {
        return -1;
    }
    if (read_digits(sc, 2, &f->min) != 0) {
        return -1;
    }
    f->sec = 0;
    if (extended ? accept_char(sc, ':') : is_digit(peek(sc))) {
        if (read_digits(sc, 2, &f->sec) != 0) {
            return -1;
        }
        if (peek(sc) == '.' || peek(sc) == ',') {
            sc->p++;
            if (!is_digit(peek(sc))) {
                return -1;
            }
            while (is_digit(peek(sc))) {
                sc->p++;
            }
        }
    }
    return 0;
}

/* RFC 3339 / ISO 8601, extended ("2014-12-21T10:00:00Z") or compact
 * ("20141221T100000Z"). */
static int parse_iso(struct scan *sc, struct fields *f)
{
    int extended;

    if (read_digits(sc, 4, &f->year) != 0) {
        return -1;
    }
    extended = accept_char(sc, '-');
    if (read_digits(sc, 2, &f->mon) != 0) {
        return -1;
    }
    if (extended && !accept_char(sc, '-')) {
        return -1;
    }
    if (read_digits(sc, 2, &f->day) != 0) {
        return -1;
    }
    f->hour = f->min = f->sec = 0;
    f->off = 0;
    if (at_end(sc)) {
        return 0;
    }
    if (peek(sc) == 'T' || peek(sc) == 't' ||
        (extended && peek(sc) == ' ' && sc->p + 1 < sc->end &&
         is_digit((unsigned char)sc->p[1]))) {
        sc->p++;
    } else {
        return -1;
    }
    if (parse_time(sc, f, extended) != 0) {
        return -1;
    }
    return parse_zone_end(sc, &f->off, 0);
}

/* RFC 822 / 1123 / 2822, also the RFC 850 dashes:
 * "[Sun, ]21 Dec 2014 10:00[:00] GMT". */
static int parse_rfc822(struct scan *sc, struct fields *f)
{
    char word[16];
    int n;

    if (isalpha(peek(sc))) {
        if (read_word(sc, word, sizeof(word)) == 0 ||
            match_name(word, day_names, 7) < 0) {
            return -1;
        }
        accept_char(sc, ',');
        skip_blanks(sc);
    }
    if (read_upto_digits(sc, 2, &f->day) == 0) {
        return -1;
    }
    if (!accept_char(sc, '-')) {
        if (!is_blank(peek(sc))) {
            return -1;
        }
        skip_blanks(sc);
    }
    if (read_word(sc, word, sizeof(word)) == 0) {
        return -1;
    }
    f->mon = match_name(word, month_names, 12) + 1;
    if (f->mon == 0) {
        return -1;
    }
    if (!accept_char(sc, '-')) {
        if (!is_blank(peek(sc))) {
            return -1;
        }
        skip_blanks(sc);
    }
    n = read_upto_digits(sc, 5, &f->year);
    if (n == 2) {
        /* RFC 2822 4.3: 00-49 are 2000-2049, 50-99 are 1950-1999. */
        f->year += f->year < 50 ? 2000 : 1900;
    } else if (n == 3) {
        f->year += 1900;
    } else if (n != 4) {
        return -1;
    }
    if (!is_blank(peek(sc))) {
        return -1;
    }
    skip_blanks(sc);
    if (read_upto_digits(sc, 2, &f->hour) == 0 || !accept_char(sc, ':') ||
        read_digits(sc, 2, &f->min) != 0) {
        return -1;
    }
    f->sec = 0;
    if (accept_char(sc, ':') && read_digits(sc, 2, &f->sec) != 0) {
        return -1;
    }
    return parse_zone_end(sc, &f->off, 1);
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static int fields_to_time(const struct fields *f, time_t *out)
{
    struct tm tm;
    struct tm check;
    time_t t;

    if (f->year < 1 || f->year > 9999 || f->mon < 1 || f->mon > 12 ||
        f->day < 1 || f->day > days_in_month(f->year, f->mon) || f->hour > 23 ||
        f->min > 59 || f->sec > 60) {
        return -1;
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = f->year - 1900;
    tm.tm_mon = f->mon - 1;
    tm.tm_mday = f->day;
    tm.tm_hour = f->hour;
    tm.tm_min = f->min;
    tm.tm_sec = f->sec; /* a leap second rolls over to the next minute */
    t = timegm(&tm);
    t -= (time_t)f->off;
    /* The result must still be a four-digit year to be formatted. */
    if (gmtime_r(&t, &check) == NULL || check.tm_year + 1900 < 1 ||
        check.tm_year + 1900 > 9999) {
        return -1;
    }
    *out = t;
    return 0;
}

int wh_date_parse(const char *s, time_t *out)
{
    struct scan sc;
    struct fields f;
    const char *q;
    int rc;

    if (s == NULL) {
        return WH_EPARSE;
    }
    while (is_blank((unsigned char)*s)) {
        s++;
    }
    sc.p = s;
    sc.end = s + strlen(s);
    while (sc.end > sc.p && is_blank((unsigned char)sc.end[-1])) {
        sc.end--;
    }
    memset(&f, 0, sizeof(f));
    /* Four leading digits start an ISO date; otherwise RFC 822, which
     * starts with a day name or a one- or two-digit day. */
    q = sc.p;
    while (q < sc.end && is_digit((unsigned char)*q)) {
        q++;
    }
    if (q - sc.p >= 4) {
        rc = parse_iso(&sc, &f);
    } else {
        rc = parse_rfc822(&sc, &f);
    }
    if (rc != 0 || !at_end(&sc) || fields_to_time(&f, out) != 0) {
        return WH_EPARSE;
    }
    return WH_OK;
}

void wh_date_format(time_t t, char out[21])
{
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL) {
        memset(&tm, 0, sizeof(tm));
        tm.tm_year = 70;
        tm.tm_mday = 1;
    }
    /* Clamp so the text always fits in 20 characters. */
    if (tm.tm_year + 1900 < 0) {
        tm.tm_year = -1900;
    }
    if (tm.tm_year + 1900 > 9999) {
        tm.tm_year = 9999 - 1900;
    }
    snprintf(out, 21, "%04u-%02u-%02uT%02u:%02u:%02uZ",
             (unsigned)(tm.tm_year + 1900) % 10000u,
             (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u,
             (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u,
             (unsigned)tm.tm_sec % 100u);
}

char *wh_date_normalize(const char *s)
{
    time_t t;
    char out[21];

    if (wh_date_parse(s, &t) != WH_OK) {
        return NULL;
    }
    wh_date_format(t, out);
    return wh_xstrdup(out);
}

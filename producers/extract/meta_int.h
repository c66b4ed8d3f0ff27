/*
 * meta_int.h - what meta.c and meta_ld.c share: the fields being filled,
 * their ranks, and the setters. Internal to producers/extract/meta*.c.
 */
#ifndef WH_EXTRACT_META_INT_H
#define WH_EXTRACT_META_INT_H

#include "extract_int.h"

#define MAX_TAGS 40
#define MAX_FIELD 2000 /* longest metadata value kept, bytes */
#define MAX_JSONLD 4   /* levels of @graph / arrays we look into */
#define MAX_LDJSON_BYTES (1u << 20)

/* One metadata field being filled: lower rank wins. */
struct field {
    char *val;
    enum wh_prov from;
    int rank;
};

struct meta_ctx {
    const char *base;
    struct field headline, description, byline, published, modified;
    struct field canonical, site_name, section, image, language;
    struct field title; /* <title>, cleaned later */
    char *h1;           /* first <h1> */
    char *h2[5];        /* first <h2>s (blogs title posts so) */
    size_t nh2;
    char *tags[MAX_TAGS];
    size_t ntags;
    int tags_rank;
    int seen_body_time;
};

/* Ranks, best first. */
enum {
    R_JSONLD = 10,
    R_META_STRONG = 20, /* og:, article:, specific names */
    R_MICRODATA = 25,
    R_META_WEAK = 30, /* name=description, keywords, author */
    R_TIME = 40,
    R_MARKUP = 50,
    R_URL = 60,
    R_TEXT = 70
};

/* meta.c */
void meta_field_set(struct field *f, const char *val, enum wh_prov from,
                    int rank);
void meta_date_set(struct field *f, const char *val, enum wh_prov from,
                   int rank);
void meta_tags_add(struct meta_ctx *m, const char *s, int rank);
int meta_is_url_like(const char *s);
char *meta_byline_clean(const char *raw);

/* meta_ld.c */
void meta_ld_parse(struct meta_ctx *m, xmlNodePtr script);

#endif

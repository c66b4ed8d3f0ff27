/*
 * pg.h - what the parts that talk to PostgreSQL (the postgres sink, the
 * dedup decision store) share about a connection string, without
 * connecting: its syntax, checked by libpq's own parser.
 *
 * libwh_pg links libpq; libwh_common does not (the producer and the
 * extractor never need it).
 */
#ifndef WH_PG_H
#define WH_PG_H

#include <stddef.h>

/* Checks conninfo ("host=... dbname=..." or a postgresql:// URI) with
 * PQconninfoParse(): a misspelt keyword or a bad quote is refused. No
 * side effects. Returns 0, or WH_EINVAL with libpq's reason in errstr
 * (which never quotes the password). Usable as a key's validator. */
int wh_pg_conninfo_check(const char *conninfo, char *errstr,
                         size_t errstr_size);

#endif

/*
 * dedup_fixture.h - what the dedup unit tests (test_dedup_near.c,
 * test_dedup_store.c, test_dedup_simhash.c) share: a scratch directory
 * and made-up stories.
 * Test code, single-threaded.
 */
#ifndef WH_TEST_DEDUP_FIXTURE_H
#define WH_TEST_DEDUP_FIXTURE_H

#include <stddef.h>

/* Creates a fresh directory /tmp/<prefix>.XXXXXX and writes its path into
 * dir (dir_size bytes). Returns 0, or -1 when it could not be made. */
int dedup_fixture_dir_new(char *dir, size_t dir_size, const char *prefix);

/* Removes dir and everything under it. Returns 0, or -1 on failure. */
int dedup_fixture_dir_remove(const char *dir);

/* A deterministic story of nwords made-up words of 4-9 letters, drawn
 * from a vocabulary of about `vocab` words (different seeds share it:
 * the same "topic"), a blank line every para words and, when sentence is
 * not 0, a full stop every sentence words; seed picks the story. Returns
 * a new string the caller frees. */
char *dedup_fixture_story(unsigned seed, size_t nwords, size_t para,
                          unsigned vocab, size_t sentence);

#endif

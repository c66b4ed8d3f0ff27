/*
 * test_files.h - reading a whole file, for the unit tests that compare
 * against files (test_extract.c, test_extract_devset.c, test_sources.c).
 */
#ifndef WH_TEST_FILES_H
#define WH_TEST_FILES_H

#include <stddef.h>

/* The whole of path, NUL-terminated, its length in *len; NULL when it
 * cannot be opened or read. The caller frees. */
char *test_read_file(const char *path, size_t *len);

#endif

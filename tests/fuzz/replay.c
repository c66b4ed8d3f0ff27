/*
 * replay.c - runs a fuzz target over saved inputs, without libFuzzer: the
 * main of replay_NAME in every build (see fuzz.h). Each argument is a
 * file or a directory of files (sorted, dot files skipped); a missing
 * directory counts as empty. An input that breaks an invariant aborts
 * (fuzz_fail), so ctest fails and names it on stderr first.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "test_files.h"
#include "wh/wh.h"

static size_t ninputs;

static void replay_file(const char *path)
{
    size_t len = 0;
    char *data = test_read_file(path, &len);
    uint8_t *exact;

    if (data == NULL) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
    /* an exact-size copy, so ASan sees a read past the input */
    exact = wh_xmalloc(len > 0 ? len : 1);
    memcpy(exact, data, len);
    (void)LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    free(data);
    ninputs++;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0;
    size_t i;

    if (d == NULL) {
        if (errno == ENOENT) {
            return;
        }
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        exit(1);
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        names = wh_xrealloc(names, (n + 1) * sizeof(*names));
        names[n++] = wh_xasprintf("%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (n > 1) {
        qsort(names, n, sizeof(*names), by_name);
    }
    for (i = 0; i < n; i++) {
        struct stat st;

        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            replay_file(names[i]);
        }
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    int i;

    for (i = 1; i < argc; i++) {
        struct stat st;

        if (stat(argv[i], &st) == 0 && S_ISREG(st.st_mode)) {
            replay_file(argv[i]);
        } else {
            replay_dir(argv[i]);
        }
    }
    printf("replay: %zu inputs, none broke an invariant\n", ninputs);
    return 0;
}

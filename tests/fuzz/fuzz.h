/*
 * fuzz.h - what the fuzz targets share (tests/fuzz/, see docs/fuzzing.md).
 *
 * Each fuzz_NAME.c defines its struct fuzz_target; fuzz.c holds the
 * LLVMFuzzerTestOneInput() that runs it. Each target is built twice:
 * with clang's libFuzzer under WH_FUZZ=ON (fuzz_NAME), and in every build
 * with the replay driver (replay.c) as replay_NAME, which ctest runs over
 * tests/data/fuzz-regressions/NAME/ and the target's seeds.
 *
 * An invariant that does not hold calls fuzz_fail(), which prints why and
 * aborts: libFuzzer keeps the input as a crash, the replay driver fails.
 */
#ifndef WH_FUZZ_H
#define WH_FUZZ_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One target: run() takes one input (returns 0). Its time budget is
 * linear: base_ms + us_per_kb per KiB of input, in CPU time, generous
 * enough for sanitizers on a loaded machine; anything super-linear
 * crosses it on large inputs. An input over budget is run a second time
 * and fails only when over budget again (a stray page-fault storm or a
 * preempted timer is not a finding). FUZZ_BUDGET=0 in the environment
 * turns the check off (coverage runs). */
struct fuzz_target {
    const char *name;
    int (*run)(const uint8_t *data, size_t size);
    double base_ms;
    double us_per_kb;
};

/* Defined by each fuzz_NAME.c. */
extern const struct fuzz_target fuzz_target;

/* The libFuzzer entry point (fuzz.c): fuzz_target.run() within its
 * budget. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints "fuzz: invariant: " and the printf-style message, then aborts.
 * (A macro over fprintf, so the format is checked where it is written.) */
#define fuzz_fail(...)                                                         \
    (fputs("fuzz: invariant: ", stderr), fprintf(stderr, __VA_ARGS__),         \
     fuzz_abort())

/* Ends the line of fuzz_fail() and aborts. */
void fuzz_abort(void) __attribute__((noreturn));

/* A NUL-terminated copy of data (caller frees). */
char *fuzz_strndup(const uint8_t *data, size_t size);

/* Splits data at its first '\n': *head gets a NUL-terminated copy of the
 * first line (at most max bytes of it; caller frees), *rest and *rest_len
 * the bytes after the newline (none when there is no newline). */
void fuzz_split_line(const uint8_t *data, size_t size, size_t max, char **head,
                     const uint8_t **rest, size_t *rest_len);

/* Non-zero when s[0..len) is valid UTF-8 (no overlongs, surrogates or
 * code points past U+10FFFF). */
int fuzz_utf8_valid(const char *s, size_t len);

/* Fails unless s (NULL allowed) is valid UTF-8; what names it. */
void fuzz_check_utf8(const char *what, const char *s);

/* Checks the "wirehose" extension object of a dumped record against
 * common/schema/wirehose-ext.schema.json as far as C can: the typed
 * members have their types (and, when strict, the required members are
 * there, contentHash has its pattern, fetchedAt is a date, httpStatus is
 * 0..599). doc is the whole record. */
void fuzz_check_ext(const json_t *doc, int strict);

/* Dumps rec, parses the dump back and dumps again: the two dumps must be
 * equal (a record survives the Kafka hop unchanged). Returns the parsed
 * document of the dump (caller decrefs) for further checks. */
struct wh_record;
json_t *fuzz_check_roundtrip(const struct wh_record *rec);

#endif

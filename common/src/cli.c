/*
 * cli.c - shared command-line manners (see cli.h).
 */
#include "wh/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "wh/wh.h"

int wh_cli_version(const char *prog, const char *version)
{
    printf("%s %s (wirehose %s)\n", prog,
           version != NULL ? version : WH_VERSION, WH_VERSION);
    return 0;
}

int wh_cli_bad_option(const char *prog, int opt, char *const *argv)
{
    /* getopt has moved optind past the element that held the option
     * (unless a short option sits inside a cluster like -vz). */
    const char *elt = optind > 0 ? argv[optind - 1] : "";
    int is_long = strncmp(elt, "--", 2) == 0;
    int n = is_long ? (int)strcspn(elt, "=") : 0;

    if (opt == ':') {
        if (is_long) {
            fprintf(stderr, "%s: option '%.*s' needs an argument; see --help\n",
                    prog, n, elt);
        } else {
            fprintf(stderr, "%s: option '-%c' needs an argument; see --help\n",
                    prog, optopt);
        }
    } else if (is_long && optopt != 0) {
        fprintf(stderr, "%s: option '%.*s' takes no argument; see --help\n",
                prog, n, elt);
    } else if (is_long) {
        fprintf(stderr, "%s: unknown option '%.*s'; see --help\n", prog, n,
                elt);
    } else {
        fprintf(stderr, "%s: unknown option '-%c'; see --help\n", prog, optopt);
    }
    return 2;
}

int wh_cli_bad_operand(const char *prog, const char *arg)
{
    fprintf(stderr, "%s: unexpected argument '%s'; see --help\n", prog, arg);
    return 2;
}

/*
 * cli.h - the command-line manners every wirehose binary shares:
 *   --version   prints "NAME VERSION (wirehose VERSION)", exit 0;
 *   a bad option (unknown, missing its argument, given one it does not
 *   take) or a stray operand: one line on stderr naming it and "see
 *   --help", exit 2.
 *
 * Give getopt_long() an optstring starting with ':' so that a missing
 * argument comes back as ':' (and set nothing else: opterr stays as
 * getopt leaves it silent with the leading ':').
 */
#ifndef WH_CLI_H
#define WH_CLI_H

/* Prints "prog version (wirehose WH_VERSION)" on stdout; version NULL
 * means WH_VERSION. Returns 0, the exit status. */
int wh_cli_version(const char *prog, const char *version);

/* After getopt_long() returned '?' or ':': prints the one line naming
 * argv's offending option. Returns 2, the exit status. */
int wh_cli_bad_option(const char *prog, int opt, char *const *argv);

/* A stray operand: "prog: unexpected argument 'arg'; see --help".
 * Returns 2. */
int wh_cli_bad_operand(const char *prog, const char *arg);

#endif

/*
 * secret.h - a configuration value may take a secret from outside the
 * file: "${file:PATH}" is replaced by the content of PATH (one line; a
 * final newline is dropped), "${env:NAME}" by the environment variable
 * NAME; references nest ("${file:${env:CREDENTIALS_DIRECTORY}/pg}", as
 * systemd's LoadCredential= hands them over) and "$${" is a literal "${".
 * wh_config_load() and wh_config_set() apply it to every value.
 *
 * Reads files and the environment: start-up and reload, main thread.
 */
#ifndef WH_SECRET_H
#define WH_SECRET_H

#include <stddef.h>

/* Replaces the references in value. Returns WH_OK with *out a new string
 * (and *secret non-zero when anything was replaced), or WH_EINVAL /
 * WH_EIO with the reason in errstr ("${env:NAME}: not set", "${file:P}:
 * strerror", ...); the reason never holds a secret. */
int wh_secret_expand(const char *value, char **out, int *secret, char *errstr,
                     size_t errstr_size);

#endif

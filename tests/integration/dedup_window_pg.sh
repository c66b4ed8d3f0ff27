#!/bin/bash
# dedup_window_pg.sh - dedup_window.sh with the decision log in
# PostgreSQL (dedup.store = postgres:...): two consumers with a state
# directory each share the table; rows out of the window are pruned while
# they run. Skipped without PostgreSQL or kcat.
WINDOW_STORE=postgres exec bash "$(dirname "$0")/dedup_window.sh"

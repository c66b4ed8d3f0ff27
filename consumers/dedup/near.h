/*
 * near.h - the "dedup" stage (near.c): exact repeats, new versions and
 * near-duplicate clusters, decided in a store shared by every consumer
 * process of the machine (store.h).
 *
 * What it writes in the record's "wirehose" extension object:
 *   "dedup":           "new" | "copy" | "version" | "skipped"
 *   "clusterId":       uri of the first-seen member of the story
 *   "duplicateOf":     copies: uri of the record it was matched to
 *   "dedupSimilarity": copies: estimated 3-shingle Jaccard (0..1)
 *   "previousVersion": versions: {"version": N, "contentHash": "xxh3:..."}
 *   "dedupReason":     why a record was skipped or not matched to others
 *   "dedupRoute":      "copies" when dedup.copies = topic and the record
 *                      is a copy: the consumer routes it to its copies
 *                      topic instead of the main sinks
 * and, on a new version, "version" (incremented) and "versionCreated".
 * An exact repeat (same uri, same body, another message) returns WH_DROP;
 * the same message seen again (a replay, a redelivery after a crash) gets
 * the answer it got the first time.
 */
#ifndef WH_DEDUP_NEAR_H
#define WH_DEDUP_NEAR_H

#include "stage.h"
#include "wh/config.h"

/* The stage, for the table in stages.c. */
extern const struct wh_stage wh_stage_dedup;

/* Its configuration keys (dedup.state_dir, dedup.store, dedup.copies,
 * dedup.min_words, dedup.fsync, dedup.window), {NULL}-terminated, declared with
 * their types and defaults in near.c; also wh_stage_dedup.keys. */
extern const struct wh_config_key wh_dedup_config_keys[];

#endif

/*
 * counts.c - the producer's metrics: fetches by source and status,
 * records by stage and outcome, and the extractor's fill rates. Each
 * counts nothing when metrics are off (p->reg is NULL).
 */
#include "producer.h"
#include "wh/wh.h"

void count_fetch(struct producer *p, const struct source *src,
                 const struct wh_fetch_result *res, int from_file)
{
    char label[16];
    const char *status;

    if (p->reg == NULL) {
        return;
    }
    if (from_file) {
        status = res->outcome == WH_FETCH_OK ? "file" : "error";
    } else {
        status = wh_fetch_result_label(res, label, sizeof(label));
    }
    wh_metrics_inc(wh_metrics_get(p->reg, WH_M_FETCHES,
                                  WH_METRICS_LABELS(src->name, status)));
}

void count_record(struct producer *p, const char *stage, const char *outcome)
{
    wh_metrics_inc(wh_metrics_get(p->reg, WH_M_RECORDS,
                                  WH_METRICS_LABELS(stage, outcome)));
}

/* One extracted page: field="page" counts the pages, the others the pages
 * where the extractor filled that field (fill rate = field / page). */
void count_fill(struct producer *p, const struct source *src,
                const struct wh_record *rec)
{
    static const char *const fields[] = {"page", "date", "byline", "body"};
    int filled[4];
    size_t i;

    if (p->reg == NULL) {
        return;
    }
    filled[0] = 1;
    filled[1] = rec->first_created != NULL || rec->version_created != NULL;
    filled[2] = rec->by != NULL && rec->by[0] != '\0';
    filled[3] = rec->body_text != NULL && rec->body_text[0] != '\0';
    for (i = 0; i < WH_ARRAY_SIZE(fields); i++) {
        struct wh_metric *m = wh_metrics_get(
            p->reg, WH_M_FILL, WH_METRICS_LABELS(src->name, fields[i]));

        /* The series exist from the first page on, at 0 when unfilled. */
        wh_metrics_add(m, filled[i] ? 1.0 : 0.0);
    }
}

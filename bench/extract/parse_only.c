/*
 * parse_only.c - the floor for wirehose-extract's speed: reads each page
 * and builds the libxml2 HTML tree with the extractor's parse options,
 * then frees it; nothing else. Prints "pages seconds" (parse time only,
 * file reading excluded) on stdout.
 *
 * usage: parse_only FILE...
 */
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    double parse = 0;
    int pages = 0;

    xmlInitParser();
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        char *data;
        long n;
        double t0;
        htmlDocPtr doc;

        if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
            fseek(f, 0, SEEK_SET) != 0) {
            fprintf(stderr, "parse_only: %s: cannot read\n", argv[i]);
            if (f != NULL) {
                fclose(f);
            }
            return 1;
        }
        data = malloc((size_t)n + 1);
        if (data == NULL || fread(data, 1, (size_t)n, f) != (size_t)n) {
            fprintf(stderr, "parse_only: %s: cannot read\n", argv[i]);
            fclose(f);
            free(data);
            return 1;
        }
        fclose(f);
        t0 = now();
        doc = htmlReadMemory(data, (int)n, NULL, "UTF-8",
                             HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                                 HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
                                 HTML_PARSE_COMPACT);
        if (doc != NULL) {
            xmlFreeDoc(doc);
        }
        parse += now() - t0;
        pages++;
        free(data);
    }
    printf("%d %.6f\n", pages, parse);
    return 0;
}

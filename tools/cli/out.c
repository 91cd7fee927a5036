/* What the commands print with: JSON lines, members of the server's objects as text,
 * times, colour only where it belongs (a terminal, no NO_COLOR), and a tiny table. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "util.h"

#define TABLE_MAX_COLS 12

const char *cli_color(const struct cli *cli, const char *sgr)
{
    return cli->color ? sgr : "";
}

void cli_print_json(const json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s)
        printf("%s\n", s);
    free(s);
    fflush(stdout);
}

const char *cli_str(const json_t *obj, const char *key)
{
    static char num[32];
    json_t *v = json_object_get(obj, key);
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        return num;
    }
    if (json_is_real(v)) {
        snprintf(num, sizeof num, "%.3f", json_real_value(v));
        return num;
    }
    if (json_is_boolean(v))
        return json_is_true(v) ? "true" : "false";
    return "";
}

long long cli_int(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

const char *cli_time(long long t, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (t <= 0 || !localtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M", &tm))
        snprintf(buf, len, "-");
    return buf;
}

struct cli_table {
    int ncols;
    char names[TABLE_MAX_COLS][64];
    int right[TABLE_MAX_COLS];
    int max[TABLE_MAX_COLS]; /* characters, 0 = no limit */
    char **cells;            /* nrows * ncols */
    size_t nrows, cap;
};

struct cli_table *table_new(const char *spec)
{
    struct cli_table *t = xcalloc(1, sizeof *t);
    for (const char *p = spec; *p && t->ncols < TABLE_MAX_COLS; t->ncols++) {
        size_t n = strcspn(p, ",");
        char col[64];
        snprintf(col, sizeof col, "%.*s", (int)(n < 63 ? n : 63), p);
        char *lt = strchr(col, '<'), *gt = strchr(col, '>');
        if (lt) {
            t->max[t->ncols] = atoi(lt + 1);
            *lt = 0;
        }
        if (gt) {
            t->right[t->ncols] = 1;
            *gt = 0;
        }
        snprintf(t->names[t->ncols], sizeof t->names[0], "%s", col);
        p += n + (p[n] == ',');
    }
    return t;
}

void table_add(struct cli_table *t, ...)
{
    if (t->nrows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->cells = xrealloc(t->cells, t->cap * (size_t)t->ncols * sizeof *t->cells);
    }
    va_list ap;
    va_start(ap, t);
    for (int i = 0; i < t->ncols; i++) {
        const char *s = va_arg(ap, const char *);
        t->cells[t->nrows * (size_t)t->ncols + (size_t)i] = xstrdup(s ? s : "");
    }
    va_end(ap);
    t->nrows++;
}

/* Characters (UTF-8 scalar values) in s. */
static int width(const char *s)
{
    int w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

/* Prints s in a column of w characters (no padding when w is 0), cut to max with "…"
 * when longer. */
static void cell(FILE *f, const char *s, int w, int max, int right)
{
    int n = width(s), keep = (int)strlen(s);
    if (max && n > max) {
        int chars = 0;
        keep = 0;
        while (s[keep] && chars < max - 1) {
            keep++;
            while (((unsigned char)s[keep] & 0xC0) == 0x80)
                keep++;
            chars++;
        }
        n = max;
    }
    int pad = w > n ? w - n : 0;
    fprintf(f, "%*s%.*s%s%*s", right ? pad : 0, "", keep, s, keep < (int)strlen(s) ? "…" : "",
            right ? 0 : pad, "");
}

int table_print(const struct cli_table *t, const struct cli *cli, FILE *f)
{
    int w[TABLE_MAX_COLS];
    for (int c = 0; c < t->ncols; c++) {
        w[c] = width(t->names[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            int n = width(t->cells[r * (size_t)t->ncols + (size_t)c]);
            if (t->max[c] && n > t->max[c])
                n = t->max[c];
            if (n > w[c])
                w[c] = n;
        }
    }
    fputs(cli_color(cli, CLI_BOLD), f);
    for (int c = 0; c < t->ncols; c++) {
        cell(f, t->names[c], c == t->ncols - 1 && !t->right[c] ? 0 : w[c], 0, t->right[c]);
        fputs(c == t->ncols - 1 ? "" : "  ", f);
    }
    fprintf(f, "%s\n", cli_color(cli, CLI_RESET));
    for (size_t r = 0; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            int last = c == t->ncols - 1 && !t->right[c];
            cell(f, t->cells[r * (size_t)t->ncols + (size_t)c], last ? 0 : w[c], t->max[c],
                 t->right[c]);
            fputs(c == t->ncols - 1 ? "" : "  ", f);
        }
        fputc('\n', f);
    }
    return 1 + (int)t->nrows;
}

void table_free(struct cli_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}

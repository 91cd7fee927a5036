/* The config file: where `login` and `register` keep the server and the token, read by
 * every command. Lines "key = value" (server, token, name); '#' starts a comment. The
 * file holds a bearer token, so it is written 0600 in a 0700 directory, through a temp
 * file renamed over it (a reader never sees half of it). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

int config_path(char *out, size_t len)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    int n;
    /* XDG Base Directory: a relative $XDG_CONFIG_HOME is invalid and ignored. */
    if (xdg && xdg[0] == '/')
        n = snprintf(out, len, "%s/cocreate/config", xdg);
    else if (home && *home)
        n = snprintf(out, len, "%s/.config/cocreate/config", home);
    else
        return -1;
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* s without the spaces at both ends, in place. */
static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = 0;
    return s;
}

int config_load(struct cli_config *c)
{
    memset(c, 0, sizeof *c);
    char path[4096], line[2048];
    if (config_path(path, sizeof path))
        return 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? 0 : -1;
    while (fgets(line, sizeof line, f)) {
        char *eq = strchr(line, '=');
        if (line[0] == '#' || !eq)
            continue;
        *eq = 0;
        const char *key = trim(line), *value = trim(eq + 1);
        if (!strcmp(key, "server"))
            snprintf(c->server, sizeof c->server, "%s", value);
        else if (!strcmp(key, "token"))
            snprintf(c->token, sizeof c->token, "%s", value);
        else if (!strcmp(key, "name"))
            snprintf(c->name, sizeof c->name, "%s", value);
    }
    int bad = ferror(f);
    fclose(f);
    return bad ? -1 : 0;
}

/* mkdir -p of path's directories (mode 0700 for those it makes). */
static int make_dirs(char *path)
{
    for (char *p = path + 1; (p = strchr(p, '/')); p++) {
        *p = 0;
        int rc = mkdir(path, 0700);
        *p = '/';
        if (rc && errno != EEXIST)
            return -1;
    }
    return 0;
}

int config_save(const struct cli_config *c)
{
    char path[4096], tmp[4200];
    if (config_path(path, sizeof path)) {
        errno = ENOENT;
        return -1;
    }
    if (make_dirs(path))
        return -1;
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(tmp);
        return -1;
    }
    /* An existing file of the same name may have had looser bits: these are the file's. */
    fchmod(fd, 0600);
    fprintf(f, "# cocreate's config (cocreate login / logout write it; man cocreate)\n");
    if (*c->server)
        fprintf(f, "server = %s\n", c->server);
    if (*c->name)
        fprintf(f, "name = %s\n", c->name);
    if (*c->token)
        fprintf(f, "token = %s\n", c->token);
    int bad = fflush(f) || fsync(fd);
    if (fclose(f) || bad || rename(tmp, path)) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

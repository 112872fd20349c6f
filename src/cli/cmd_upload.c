/*
 * cmd_upload.c — `spyglass upload FILE URL`, and the upload client it and
 * `record --upload` share (upload_client.h): libcurl POSTs the file's
 * bytes, streamed from disk, to URL/api/profiles; the server detects the
 * format. A live upload tails a file the recorder is still writing and
 * sends it as a chunked body (?live=1) until told the file is complete.
 */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <libgen.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/attach.h"
#include "cli/commands.h"
#include "cli/upload_client.h"

typedef struct answer {
    char *data;
    size_t len;
} answer;

static size_t on_answer(char *ptr, size_t size, size_t n, void *ctx)
{
    answer *a = ctx;
    size_t add = size * n;
    if (a->len + add > (1u << 20))
        return 0; /* an answer this big is not ours */
    char *d = realloc(a->data, a->len + add + 1);
    if (d == NULL)
        return 0;
    memcpy(d + a->len, ptr, add);
    a->data = d;
    a->len += add;
    d[a->len] = '\0';
    return add;
}

/* base (no trailing '/' or "/api/profiles") into out. */
static void base_url(const char *url, char *out, size_t n)
{
    snprintf(out, n, "%s", url);
    size_t len = strlen(out);
    while (len > 0 && out[len - 1] == '/')
        out[--len] = '\0';
    static const char suffix[] = "/api/profiles";
    if (len >= sizeof suffix - 1 && strcmp(out + len - (sizeof suffix - 1), suffix) == 0)
        out[len - (sizeof suffix - 1)] = '\0';
}

/* BASE/api/profiles?name=...&tags=...&live=1 */
static char *endpoint(CURL *c, const char *base, const char *name, const char *tags, bool live)
{
    char *en = name ? curl_easy_escape(c, name, 0) : NULL;
    char *et = tags ? curl_easy_escape(c, tags, 0) : NULL;
    char *url = NULL;
    if (asprintf(&url, "%s/api/profiles?%s%s%s%s%s", base, en ? "name=" : "", en ? en : "",
                 et ? "&tags=" : "", et ? et : "", live ? "&live=1" : "") < 0)
        url = NULL;
    curl_free(en);
    curl_free(et);
    return url;
}

/* Read the server's JSON answer: the id into result as a viewer URL, or
 * its error into err. */
static int read_answer(const char *base, long status, const answer *a, char *result, size_t rlen,
                       char *err, size_t errlen)
{
    json_t *j = a->data ? json_loads(a->data, 0, NULL) : NULL;
    const char *id = j ? json_string_value(json_object_get(j, "id")) : NULL;
    const char *why = j ? json_string_value(json_object_get(j, "error")) : NULL;
    int rc = 0;
    if (status == 201 && id != NULL)
        snprintf(result, rlen, "%s/p/%s", base, id);
    else {
        snprintf(err, errlen, "the server answered %ld: %s", status,
                 why ? why : (a->data ? a->data : "(no body)"));
        rc = -1;
    }
    json_decref(j);
    return rc;
}

static struct curl_slist *auth_header(const char *token)
{
    if (token == NULL || token[0] == '\0')
        return NULL;
    char h[1024];
    snprintf(h, sizeof h, "Authorization: Bearer %s", token);
    return curl_slist_append(NULL, h);
}

static size_t read_file(char *buf, size_t size, size_t n, void *ctx)
{
    return fread(buf, size, n, (FILE *)ctx) * size;
}

int sg_upload_file(const char *url, const char *path, const char *name, const char *tags,
                   const char *token, char *result, size_t rlen, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (f == NULL || fstat(fileno(f), &st) != 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    char base[2048];
    base_url(url, base, sizeof base);
    CURL *c = curl_easy_init();
    char *ep = c ? endpoint(c, base, name, tags, false) : NULL;
    if (ep == NULL) {
        snprintf(err, errlen, "out of memory");
        if (c)
            curl_easy_cleanup(c);
        fclose(f);
        return -1;
    }
    answer a = {0};
    struct curl_slist *h = auth_header(token);
    h = curl_slist_append(h, "Content-Type: application/octet-stream");
    h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
    curl_easy_setopt(c, CURLOPT_URL, ep);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_file);
    curl_easy_setopt(c, CURLOPT_READDATA, f);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)st.st_size);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_answer);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    int rc;
    if (cc != CURLE_OK && status == 0) {
        snprintf(err, errlen, "cannot send to %s: %s", base, curl_easy_strerror(cc));
        rc = -1;
    } else
        rc = read_answer(base, status, &a, result, rlen, err, errlen);
    free(a.data);
    free(ep);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    fclose(f);
    return rc;
}

/* ---- live uploads ------------------------------------------------------- */

struct sg_live_upload {
    char base[2048];
    char *path, *name, *token;
    pthread_t thread;
    pthread_mutex_t lock;
    bool done;   /* the writer closed the file: send to EOF and end */
    FILE *f;     /* opened lazily: the recorder creates the file */
    long status; /* the server's answer */
    answer a;
    int rc;
    char err[2600];
};

static bool is_done(sg_live_upload *u)
{
    pthread_mutex_lock(&u->lock);
    bool d = u->done;
    pthread_mutex_unlock(&u->lock);
    return d;
}

/* curl asks for body bytes: what the file has now, or wait for more. */
static size_t read_growing(char *buf, size_t size, size_t n, void *ctx)
{
    sg_live_upload *u = ctx;
    for (;;) {
        bool done = is_done(u); /* read before trying, so no byte written before done is lost */
        if (u->f == NULL)
            u->f = fopen(u->path, "rb");
        if (u->f != NULL) {
            size_t got = fread(buf, size, n, u->f);
            if (got > 0)
                return got * size;
            clearerr(u->f); /* at EOF now; the writer may add more */
        }
        if (done)
            return 0; /* ends the chunked body */
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static void *live_main(void *arg)
{
    sg_live_upload *u = arg;
    CURL *c = curl_easy_init();
    char *ep = c ? endpoint(c, u->base, u->name, NULL, true) : NULL;
    if (ep == NULL) {
        u->rc = -1;
        snprintf(u->err, sizeof u->err, "out of memory");
        if (c)
            curl_easy_cleanup(c);
        return NULL;
    }
    struct curl_slist *h = auth_header(u->token);
    h = curl_slist_append(h, "Content-Type: application/octet-stream");
    h = curl_slist_append(h, "Transfer-Encoding: chunked");
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, ep);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_growing);
    curl_easy_setopt(c, CURLOPT_READDATA, u);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_answer);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &u->a);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &u->status);
    if (cc != CURLE_OK && u->status == 0) {
        u->rc = -1;
        snprintf(u->err, sizeof u->err, "cannot send to %s: %s", u->base, curl_easy_strerror(cc));
    }
    free(ep);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return NULL;
}

sg_live_upload *sg_live_upload_start(const char *url, const char *path, const char *name,
                                     const char *token)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    sg_live_upload *u = calloc(1, sizeof *u);
    if (u == NULL)
        return NULL;
    base_url(url, u->base, sizeof u->base);
    u->path = strdup(path);
    u->name = name ? strdup(name) : NULL;
    u->token = token ? strdup(token) : NULL;
    pthread_mutex_init(&u->lock, NULL);
    if (u->path == NULL || pthread_create(&u->thread, NULL, live_main, u) != 0) {
        free(u->path);
        free(u->name);
        free(u->token);
        free(u);
        return NULL;
    }
    return u;
}

int sg_live_upload_finish(sg_live_upload *u, char *result, size_t rlen, char *err, size_t errlen)
{
    pthread_mutex_lock(&u->lock);
    u->done = true;
    pthread_mutex_unlock(&u->lock);
    pthread_join(u->thread, NULL);
    int rc = u->rc;
    if (rc != 0)
        snprintf(err, errlen, "%s", u->err);
    else
        rc = read_answer(u->base, u->status, &u->a, result, rlen, err, errlen);
    if (u->f)
        fclose(u->f);
    free(u->a.data);
    free(u->path);
    free(u->name);
    free(u->token);
    pthread_mutex_destroy(&u->lock);
    free(u);
    return rc;
}

/* ---- the command ---------------------------------------------------------- */

static void upload_usage(FILE *out)
{
    fprintf(out, "usage: spyglass upload FILE URL [options]\n\n"
                 "Sends a profile (any format spyglass reads) to the server at URL\n"
                 "(e.g. http://127.0.0.1:8642) and prints the profile's viewer URL.\n\n"
                 "  --name NAME    the profile's name on the server (default: the file name)\n"
                 "  --tags A,B     tags\n"
                 "  --token T      the server's token (default $SPYGLASS_TOKEN)\n");
}

int sg_cmd_upload(int argc, char **argv)
{
    enum { OPT_NAME = 256, OPT_TAGS, OPT_TOKEN };
    static const struct option opts[] = {{"name", required_argument, NULL, OPT_NAME},
                                         {"tags", required_argument, NULL, OPT_TAGS},
                                         {"token", required_argument, NULL, OPT_TOKEN},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *name = NULL, *tags = NULL, *token = getenv("SPYGLASS_TOKEN");
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_NAME:
            name = optarg;
            break;
        case OPT_TAGS:
            tags = optarg;
            break;
        case OPT_TOKEN:
            token = optarg;
            break;
        case 'h':
            upload_usage(stdout);
            return 0;
        default:
            upload_usage(stderr);
            return 2;
        }
    }
    if (argc - optind != 2) {
        sg_cli_error("upload needs a FILE and the server's URL");
        upload_usage(stderr);
        return 2;
    }
    const char *file = argv[optind], *url = argv[optind + 1];
    char *copy = strdup(file);
    if (name == NULL && copy != NULL)
        name = basename(copy);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char result[4096], err[1024];
    int rc = sg_upload_file(url, file, name, tags, token, result, sizeof result, err, sizeof err);
    if (rc != 0)
        sg_cli_error("%s", err);
    else
        printf("%s\n", result);
    free(copy);
    curl_global_cleanup();
    return rc == 0 ? 0 : 1;
}

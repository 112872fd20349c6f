/*
 * replay_main.c — runs a fuzz target's entry point over files, without
 * libFuzzer: every build replays the seed corpus this way as a ctest (and
 * the sanitizer build does it under ASan and UBSan), and a crash input
 * reproduces with `fuzz-replay-FORMAT CRASH_FILE`.
 *
 *   fuzz-replay-FORMAT PATH...   each PATH a file or a directory of files
 *
 * Exit 0 when every input ran (a failing check aborts), 2 on a path that
 * cannot be read or an empty corpus.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    unsigned char *data = malloc(cap);
    for (size_t n; data != NULL && (n = fread(data + len, 1, cap - len, f)) > 0;) {
        len += n;
        if (len == cap) {
            unsigned char *grown = realloc(data, cap *= 2);
            if (grown == NULL)
                free(data);
            data = grown;
        }
    }
    int bad = ferror(f) || data == NULL;
    fclose(f);
    if (bad) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(data);
        return -1;
    }
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    return 1;
}

/* Files of a directory in name order, so runs are reproducible. */
static int run_dir(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort), runs = 0;
    if (n < 0) {
        perror(dir);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        if (names[i]->d_name[0] != '.' &&
            snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name) < (int)sizeof path &&
            stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            int rc = run_file(path);
            runs = rc < 0 || runs < 0 ? -1 : runs + rc;
        }
        free(names[i]);
    }
    free(names);
    return runs;
}

int main(int argc, char **argv)
{
    int runs = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        int rc =
            stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]);
        if (rc < 0)
            return 2;
        runs += rc;
    }
    printf("%d inputs ran\n", runs);
    return runs > 0 ? 0 : 2;
}

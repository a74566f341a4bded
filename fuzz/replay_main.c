/* Replay driver for fuzz targets built without libFuzzer: feeds every file
 * named on the command line, or found recursively under a named folder, to
 * LLVMFuzzerTestOneInput once (style guide F2, after libvips'
 * StandaloneFuzzTargetMain.c). Test infrastructure: plain malloc/free. */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Defined by the fuzz target (fuzz/fuzz_<target>.c). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Folder nesting we follow before giving up (guards against link loops). */
#define MAX_DEPTH 16

typedef struct {
    int ignore_missing; /* skip paths that do not exist */
    size_t files;       /* inputs replayed */
    size_t bytes;       /* bytes replayed */
    int failed;         /* an input could not be read */
} Replay;

static int read_whole_file(const char *path, uint8_t **out, size_t *out_size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0;
    size_t len = 0;
    *out = NULL;
    *out_size = 0;
    if (f == NULL) {
        return -1;
    }
    for (;;) {
        if (len == cap) {
            size_t new_cap = cap == 0 ? 4096 : cap * 2;
            uint8_t *grown = NULL;
            if (new_cap < cap) {
                break;
            }
            grown = realloc(buf, new_cap);
            if (grown == NULL) {
                break;
            }
            buf = grown;
            cap = new_cap;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            break;
        }
    }
    int bad = ferror(f) || !feof(f);
    (void)fclose(f);
    if (bad) {
        free(buf);
        return -1;
    }
    *out = buf;
    *out_size = len;
    return 0;
}

static void replay_file(Replay *r, const char *path)
{
    uint8_t *data = NULL;
    size_t size = 0;
    if (read_whole_file(path, &data, &size) != 0) {
        (void)fprintf(stderr, "replay: cannot read %s: %s\n", path,
                      strerror(errno));
        r->failed = 1;
        return;
    }
    /* libFuzzer never passes NULL; give an empty input a valid pointer. */
    static const uint8_t empty[1] = {0};
    (void)LLVMFuzzerTestOneInput(data != NULL ? data : empty, size);
    free(data);
    r->files++;
    r->bytes += size;
}

static void replay_path(Replay *r, const char *path, int depth);

static void replay_folder(Replay *r, const char *path, int depth)
{
    DIR *dir = opendir(path);
    struct dirent *entry;
    if (dir == NULL) {
        (void)fprintf(stderr, "replay: cannot open folder %s: %s\n", path,
                      strerror(errno));
        r->failed = 1;
        return;
    }
    while ((entry = readdir(dir)) != NULL) {
        const char *name = entry->d_name;
        if (name[0] == '.') {
            continue; /* ".", ".." and hidden files such as .gitkeep */
        }
        size_t need = strlen(path) + strlen(name) + 2;
        char *child = malloc(need);
        if (child == NULL) {
            r->failed = 1;
            break;
        }
        (void)snprintf(child, need, "%s/%s", path, name);
        replay_path(r, child, depth + 1);
        free(child);
    }
    (void)closedir(dir);
}

static void replay_path(Replay *r, const char *path, int depth)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT && r->ignore_missing) {
            return;
        }
        (void)fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        r->failed = 1;
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        if (depth >= MAX_DEPTH) {
            (void)fprintf(stderr, "replay: %s: nested deeper than %d\n", path,
                          MAX_DEPTH);
            r->failed = 1;
            return;
        }
        replay_folder(r, path, depth);
    } else if (S_ISREG(st.st_mode)) {
        replay_file(r, path);
    }
}

static void usage(FILE *out)
{
    (void)fprintf(out,
                  "usage: fuzz_<target> [--ignore-missing] PATH...\n"
                  "Runs the fuzz target once on each file PATH, or on every "
                  "file under a folder PATH.\n"
                  "  --ignore-missing  paths that do not exist are skipped\n"
                  "Example: fuzz_rtdose fuzz/corpus/rtdose "
                  "fuzz/regressions/rtdose\n");
}

int main(int argc, char **argv)
{
    Replay r = {0, 0, 0, 0};
    int first = 1;
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "--ignore-missing") == 0) {
        r.ignore_missing = 1;
        first = 2;
    }
    if (first >= argc) {
        usage(stderr);
        return 2;
    }
    for (int i = first; i < argc; i++) {
        replay_path(&r, argv[i], 0);
    }
    (void)printf("replayed %zu input(s), %zu bytes\n", r.files, r.bytes);
    return r.failed ? 1 : 0;
}

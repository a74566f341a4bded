/* Landmark pair files: a strict, bounded CSV reader (header
 * "label,ref_x,ref_y,ref_z,prior_x,prior_y,prior_z", DICOM patient mm) and
 * the check that the reference points lie on a grid
 * (docs/deformable-registration.md, "Landmark TRE"). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rert/core.h>
#include <rert/geometry.h>
#include <rert/io.h>
#include <rert/registration.h>

struct RertLandmarkSet {
    size_t count;
    char (*labels)[RERT_LANDMARK_LABEL_SIZE];
    RertVec3 *reference;
    RertVec3 *moving;
    size_t *lines;
};

#define COLUMNS 7
static const char *const header[COLUMNS] = {
    "label", "ref_x", "ref_y", "ref_z", "prior_x", "prior_y", "prior_z"};
#define HEADER_TEXT "label,ref_x,ref_y,ref_z,prior_x,prior_y,prior_z"

/* One field of a line: [start, start + len), spaces trimmed. */
typedef struct Field {
    const char *start;
    size_t len;
} Field;

/* Split @p line (length @p len) at commas into at most COLUMNS + 1 fields
 * (the extra one only signals "too many"); returns the field count. */
static size_t split(const char *line, size_t len, Field f[COLUMNS + 1])
{
    size_t n = 0;
    size_t begin = 0;
    for (size_t i = 0; i <= len && n <= COLUMNS; i++) {
        if (i < len && line[i] != ',') {
            continue;
        }
        size_t a = begin;
        size_t b = i;
        while (a < b && line[a] == ' ') {
            a++;
        }
        while (b > a && line[b - 1] == ' ') {
            b--;
        }
        f[n].start = line + a;
        f[n].len = b - a;
        n++;
        begin = i + 1;
    }
    if (n > COLUMNS) {
        return COLUMNS + 1;
    }
    for (size_t i = begin; i < len && n == COLUMNS; i++) {
        if (line[i] == ',') {
            return COLUMNS + 1;
        }
    }
    return n;
}

static bool field_is(const Field *f, const char *word)
{
    return f->len == strlen(word) && memcmp(f->start, word, f->len) == 0;
}

static bool
check_header(RertError *err, const char *name, const char *line, size_t len)
{
    Field f[COLUMNS + 1];
    size_t n = split(line, len, f);
    bool ok = n == COLUMNS;
    for (size_t i = 0; ok && i < COLUMNS; i++) {
        ok = field_is(&f[i], header[i]);
    }
    if (ok) {
        return true;
    }
    return rert_error_set(err, RERT_ERR_PARSE,
                          "%s:1: header: expected '" HEADER_TEXT
                          "', found '%.*s'",
                          name, (int)(len > 120 ? 120 : len), line);
}

/* Printable ASCII without quotes or commas (no CSV quoting here). */
static bool
check_label(RertError *err, const char *name, size_t line_no, const Field *f)
{
    if (f->len == 0 || f->len >= RERT_LANDMARK_LABEL_SIZE) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s:%zu: column 1 (label): expected 1 to %d "
                              "characters, found %zu",
                              name, line_no, RERT_LANDMARK_LABEL_SIZE - 1,
                              f->len);
    }
    for (size_t i = 0; i < f->len; i++) {
        unsigned char ch = (unsigned char)f->start[i];
        if (ch < 0x20 || ch > 0x7e || ch == '"') {
            return rert_error_set(err, RERT_ERR_PARSE,
                                  "%s:%zu: column 1 (label): character "
                                  "0x%02x at position %zu; expected printable "
                                  "ASCII without quotes",
                                  name, line_no, ch, i + 1);
        }
    }
    return true;
}

static bool same_label(const char *a, const Field *f)
{
    if (strlen(a) != f->len) {
        return false;
    }
    for (size_t i = 0; i < f->len; i++) {
        char x = a[i];
        char y = f->start[i];
        x = x >= 'A' && x <= 'Z' ? (char)(x - 'A' + 'a') : x;
        y = y >= 'A' && y <= 'Z' ? (char)(y - 'A' + 'a') : y;
        if (x != y) {
            return false;
        }
    }
    return true;
}

static bool number(RertError *err,
                   const char *name,
                   size_t line_no,
                   size_t column,
                   const Field *f,
                   double *out)
{
    char what[96];
    (void)snprintf(what, sizeof what, "%s:%zu: column %zu (%s)", name, line_no,
                   column + 1, header[column]);
    if (f->len == 0) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: expected a number in mm, found nothing",
                              what);
    }
    if (!rert_parse_double(err, f->start, f->len, what, out) ||
        !isfinite(*out)) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: expected a finite number in mm, found "
                              "'%.*s'",
                              what, (int)(f->len > 40 ? 40 : f->len), f->start);
    }
    return true;
}

/* Parse one data line into entry @p s->count. */
static bool parse_row(RertError *err,
                      const char *name,
                      size_t line_no,
                      const char *line,
                      size_t len,
                      RertLandmarkSet *s)
{
    Field f[COLUMNS + 1];
    size_t n = split(line, len, f);
    if (n != COLUMNS) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s:%zu: expected %d comma-separated columns "
                              "(" HEADER_TEXT "), found %s%zu",
                              name, line_no, COLUMNS,
                              n > COLUMNS ? "more than " : "",
                              n > COLUMNS ? (size_t)COLUMNS : n);
    }
    if (!check_label(err, name, line_no, &f[0])) {
        return false;
    }
    for (size_t i = 0; i < s->count; i++) {
        if (same_label(s->labels[i], &f[0])) {
            return rert_error_set(err, RERT_ERR_PARSE,
                                  "%s:%zu: label '%s' appears twice (first "
                                  "on line %zu; labels are compared ignoring "
                                  "ASCII case)",
                                  name, line_no, s->labels[i], s->lines[i]);
        }
    }
    double v[COLUMNS];
    for (size_t c = 1; c < COLUMNS; c++) {
        if (!number(err, name, line_no, c, &f[c], &v[c])) {
            return false;
        }
    }
    size_t k = s->count;
    memcpy(s->labels[k], f[0].start, f[0].len);
    s->labels[k][f[0].len] = '\0';
    s->reference[k] = (RertVec3){v[1], v[2], v[3]};
    s->moving[k] = (RertVec3){v[4], v[5], v[6]};
    s->lines[k] = line_no;
    s->count++;
    return true;
}

/* Number of '\n' in the bytes: an upper bound of the data lines. */
static size_t count_lines(const char *text, size_t size)
{
    size_t n = 1;
    for (size_t i = 0; i < size; i++) {
        n += text[i] == '\n' ? 1u : 0u;
    }
    return n;
}

static bool set_alloc(RertError *err, RertLandmarkSet *s, size_t n)
{
    s->labels = rert_calloc(err, n, sizeof *s->labels);
    s->reference = rert_calloc(err, n, sizeof *s->reference);
    s->moving = rert_calloc(err, n, sizeof *s->moving);
    s->lines = rert_calloc(err, n, sizeof *s->lines);
    return s->labels != NULL && s->reference != NULL && s->moving != NULL &&
           s->lines != NULL;
}

/* Next line of [*pos, size): its start and length without "\r\n"/"\n". */
static const char *
next_line(const char *text, size_t size, size_t *pos, size_t *len)
{
    const char *start = text + *pos;
    size_t i = *pos;
    while (i < size && text[i] != '\n') {
        i++;
    }
    size_t n = i - *pos;
    *pos = i < size ? i + 1 : size;
    if (n > 0 && start[n - 1] == '\r') {
        n--;
    }
    *len = n;
    return start;
}

static bool parse_body(RertError *err,
                       const char *text,
                       size_t size,
                       const char *name,
                       RertLandmarkSet *s)
{
    size_t pos = 0;
    size_t len = 0;
    const char *line = next_line(text, size, &pos, &len);
    if (!check_header(err, name, line, len)) {
        return false;
    }
    for (size_t line_no = 2; pos < size; line_no++) {
        line = next_line(text, size, &pos, &len);
        if (len == 0 && pos >= size) {
            break; /* the final newline */
        }
        if (len == 0) {
            return rert_error_set(err, RERT_ERR_PARSE,
                                  "%s:%zu: empty line; expected a landmark "
                                  "row (" HEADER_TEXT ")",
                                  name, line_no);
        }
        if (s->count >= RERT_LANDMARKS_MAX_COUNT) {
            return rert_error_set(err, RERT_ERR_LIMIT,
                                  "%s:%zu: more than %u landmarks", name,
                                  line_no, RERT_LANDMARKS_MAX_COUNT);
        }
        if (!parse_row(err, name, line_no, line, len, s)) {
            return false;
        }
    }
    if (s->count == 0) {
        return rert_error_set(err, RERT_ERR_PARSE,
                              "%s: no landmark rows after the header; "
                              "expected at least 1",
                              name);
    }
    return true;
}

RertLandmarkSet *rert_landmark_set_parse(RertError *err,
                                         const void *data,
                                         size_t size,
                                         const char *name)
{
    name = name != NULL ? name : "landmarks";
    if (data == NULL && size > 0) {
        rert_error_set(err, RERT_ERR_INVALID_ARG, "%s: NULL data", name);
        return NULL;
    }
    if (size > RERT_LANDMARKS_MAX_BYTES) {
        rert_error_set(err, RERT_ERR_LIMIT,
                       "%s: %zu bytes, at most %zu accepted", name, size,
                       (size_t)RERT_LANDMARKS_MAX_BYTES);
        return NULL;
    }
    const char *text = data != NULL ? (const char *)data : "";
    if (size >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        text += 3; /* UTF-8 byte order mark (spreadsheet exports) */
        size -= 3;
    }
    if (size == 0) {
        rert_error_set(err, RERT_ERR_PARSE,
                       "%s: empty file; expected the header '" HEADER_TEXT
                       "' and at least 1 landmark row",
                       name);
        return NULL;
    }
    if (memchr(text, '\0', size) != NULL) {
        rert_error_set(err, RERT_ERR_PARSE, "%s: a NUL byte; expected CSV text",
                       name);
        return NULL;
    }
    size_t rows = count_lines(text, size);
    rows = rows < RERT_LANDMARKS_MAX_COUNT ? rows : RERT_LANDMARKS_MAX_COUNT;
    RertLandmarkSet *s = rert_calloc(err, 1, sizeof *s);
    if (s == NULL || !set_alloc(err, s, rows) ||
        !parse_body(err, text, size, name, s)) {
        rert_landmark_set_destroy(s);
        return NULL;
    }
    return s;
}

RertLandmarkSet *rert_landmark_set_load(RertError *err, const char *path)
{
    if (path == NULL) {
        rert_error_set(err, RERT_ERR_INVALID_ARG, "landmarks: NULL path");
        return NULL;
    }
    RertBytes bytes = {NULL, 0};
    if (!rert_file_load(err, path, RERT_LANDMARKS_MAX_BYTES, &bytes)) {
        rert_error_prefix(err, "landmark file %s", path);
        return NULL;
    }
    RertLandmarkSet *s =
        rert_landmark_set_parse(err, bytes.data, bytes.size, path);
    rert_bytes_clear(&bytes);
    return s;
}

void rert_landmark_set_destroy(RertLandmarkSet *s)
{
    if (s == NULL) {
        return;
    }
    rert_free(s->labels);
    rert_free(s->reference);
    rert_free(s->moving);
    rert_free(s->lines);
    rert_free(s);
}

size_t rert_landmark_set_count(const RertLandmarkSet *s)
{
    return s != NULL ? s->count : 0;
}

const char *rert_landmark_set_label(const RertLandmarkSet *s, size_t index)
{
    return s != NULL && index < s->count ? s->labels[index] : NULL;
}

const RertVec3 *rert_landmark_set_reference_mm(const RertLandmarkSet *s)
{
    return s != NULL ? s->reference : NULL;
}

const RertVec3 *rert_landmark_set_moving_mm(const RertLandmarkSet *s)
{
    return s != NULL ? s->moving : NULL;
}

bool rert_landmark_set_check_inside(RertError *err,
                                    const RertLandmarkSet *s,
                                    const RertGridGeometry *grid,
                                    const char *what)
{
    if (s == NULL || grid == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "landmarks: NULL argument");
    }
    for (size_t n = 0; n < s->count; n++) {
        RertVec3 p = rert_grid_xyz_to_ijk(grid, s->reference[n]);
        const double ijk[3] = {p.x, p.y, p.z};
        for (int a = 0; a < 3; a++) {
            double hi = (double)grid->dims[a] - 0.5;
            if (!(ijk[a] >= -0.5 && ijk[a] <= hi)) {
                return rert_error_set(
                    err, RERT_ERR_GEOMETRY,
                    "landmark '%s' (line %zu): reference point (%.2f, %.2f, "
                    "%.2f) mm lies outside %s (voxel index %.1f along axis "
                    "%c, expected -0.5 to %.1f)",
                    s->labels[n], s->lines[n], s->reference[n].x,
                    s->reference[n].y, s->reference[n].z,
                    what != NULL ? what : "the grid", ijk[a], "ijk"[a], hi);
            }
        }
    }
    return true;
}

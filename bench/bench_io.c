/* Benchmark driver for bench/read_eqd2.sh: the rert side of the comparison
 * with pydicom + NumPy (bench/pydicom_peer.py). Prints one line:
 * "<task> <seconds> <peak RSS MiB> <checksum>", like the peer. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <rert/rert.h>
#include <rert/rt.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double peak_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

static double checksum(const RertVolume *v)
{
    const float *d = rert_volume_data_const(v);
    size_t n = rert_grid_voxel_count(rert_volume_geometry(v));
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        s += (double)d[i];
    }
    return s;
}

static int fail(const RertError *err)
{
    (void)fprintf(stderr, "bench_io: %s\n", err->message);
    return 1;
}

/* EQD2 kernel on a loaded dose, and a plain copy of the same grid. */
static int eqd2(const char *path, unsigned n, double ab, bool copy_only)
{
    RertError err;
    RertDose *dose = rert_dose_load(&err, path, NULL);
    if (dose == NULL) {
        return fail(&err);
    }
    const RertVolume *in = rert_dose_volume(dose);
    RertVolume *out = rert_volume_create(&err, rert_volume_geometry(in));
    if (out == NULL) {
        rert_dose_destroy(dose);
        return fail(&err);
    }
    size_t voxels = rert_grid_voxel_count(rert_volume_geometry(in));
    RertBioParams p = rert_bio_params_default();
    p.n_fractions = n;
    p.ab_gy = ab;
    /* first touch outside the timing, as NumPy's output is fresh too */
    memset(rert_volume_data(out), 0, voxels * sizeof(float));
    double t0 = now();
    bool ok = true;
    if (copy_only) {
        memcpy(rert_volume_data(out), rert_volume_data_const(in),
               voxels * sizeof(float));
    } else {
        ok = rert_bio_dose_compute(&err, &p, rert_volume_data_const(in), voxels,
                                   rert_volume_data(out), NULL);
    }
    double t = now() - t0;
    if (!ok) {
        rert_volume_destroy(out);
        rert_dose_destroy(dose);
        return fail(&err);
    }
    (void)printf("%s %.6f %.1f %.6g\n", copy_only ? "copy" : "eqd2", t,
                 peak_mib(), checksum(out));
    rert_volume_destroy(out);
    rert_dose_destroy(dose);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        (void)fprintf(stderr, "usage: bench_io ct DIR | dose FILE | eqd2 FILE "
                              "N AB | copy FILE\n");
        return 2;
    }
    RertError err;
    double t0 = now();
    if (strcmp(argv[1], "ct") == 0) {
        RertImageSeries *s = rert_image_series_load(&err, argv[2], NULL, NULL);
        if (s == NULL) {
            return fail(&err);
        }
        double t = now() - t0;
        (void)printf("ct %.6f %.1f %.6g\n", t, peak_mib(),
                     checksum(rert_image_series_volume(s)));
        rert_image_series_destroy(s);
        return 0;
    }
    if (strcmp(argv[1], "dose") == 0) {
        RertDose *d = rert_dose_load(&err, argv[2], NULL);
        if (d == NULL) {
            return fail(&err);
        }
        double t = now() - t0;
        (void)printf("dose %.6f %.1f %.6g\n", t, peak_mib(),
                     checksum(rert_dose_volume(d)));
        rert_dose_destroy(d);
        return 0;
    }
    if (strcmp(argv[1], "eqd2") == 0 && argc == 5) {
        long n = 0;
        double ab = 0;
        if (!rert_parse_long(&err, argv[3], strlen(argv[3]), 1, 1000, "N",
                             &n) ||
            !rert_parse_double(&err, argv[4], strlen(argv[4]), "AB", &ab)) {
            return fail(&err);
        }
        return eqd2(argv[2], (unsigned)n, ab, false);
    }
    if (strcmp(argv[1], "copy") == 0) {
        return eqd2(argv[2], 1, 1.0, true);
    }
    (void)fprintf(stderr, "bench_io: unknown task %s\n", argv[1]);
    return 2;
}

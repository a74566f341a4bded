/* UIDs: random "2.25." UIDs (PS3.5 B.2, ISO/IEC 9834-8 UUID as a decimal
 * integer) and the table of transfer syntaxes (PS3.6 annex A). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rert/dicom.h>

#include "internal.h"

/* Native syntaxes first, then the encapsulated ones we can name in
 * messages. All encapsulated syntaxes are explicit VR little endian. */
static const RertTransferSyntax syntaxes[] = {
    {RERT_TS_IMPLICIT_LE, "Implicit VR Little Endian", false, false, false,
     false},
    {RERT_TS_EXPLICIT_LE, "Explicit VR Little Endian", true, false, false,
     false},
    {RERT_TS_DEFLATED_LE, "Deflated Explicit VR Little Endian", true, false,
     true, false},
    {RERT_TS_EXPLICIT_BE, "Explicit VR Big Endian", true, true, false, false},
    {RERT_TS_RLE, "RLE Lossless", true, false, false, true},
    {"1.2.840.10008.1.2.1.98",
     "Encapsulated Uncompressed Explicit VR Little "
     "Endian",
     true, false, false, true},
    {"1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)", true, false, false,
     true},
    {"1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 & 4)", true, false,
     false, true},
    {"1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)",
     true, false, false, true},
    {"1.2.840.10008.1.2.4.70",
     "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 "
     "[Selection Value 1])",
     true, false, false, true},
    {"1.2.840.10008.1.2.4.80", "JPEG-LS Lossless Image Compression", true,
     false, false, true},
    {"1.2.840.10008.1.2.4.81",
     "JPEG-LS Lossy (Near-Lossless) Image "
     "Compression",
     true, false, false, true},
    {"1.2.840.10008.1.2.4.90", "JPEG 2000 Image Compression (Lossless Only)",
     true, false, false, true},
    {"1.2.840.10008.1.2.4.91", "JPEG 2000 Image Compression", true, false,
     false, true},
    {"1.2.840.10008.1.2.4.92",
     "JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)", true,
     false, false, true},
    {"1.2.840.10008.1.2.4.93",
     "JPEG 2000 Part 2 Multi-component Image Compression", true, false, false,
     true},
    {"1.2.840.10008.1.2.4.94", "JPIP Referenced", true, false, false, true},
    {"1.2.840.10008.1.2.4.95", "JPIP Referenced Deflate", true, false, true,
     true},
    {"1.2.840.10008.1.2.4.100", "MPEG2 Main Profile / Main Level", true, false,
     false, true},
    {"1.2.840.10008.1.2.4.101", "MPEG2 Main Profile / High Level", true, false,
     false, true},
    {"1.2.840.10008.1.2.4.102", "MPEG-4 AVC/H.264 High Profile / Level 4.1",
     true, false, false, true},
    {"1.2.840.10008.1.2.4.103",
     "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1", true, false,
     false, true},
    {"1.2.840.10008.1.2.4.104",
     "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video", true, false,
     false, true},
    {"1.2.840.10008.1.2.4.105",
     "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video", true, false,
     false, true},
    {"1.2.840.10008.1.2.4.106",
     "MPEG-4 AVC/H.264 Stereo High Profile / Level "
     "4.2",
     true, false, false, true},
    {"1.2.840.10008.1.2.4.107", "HEVC/H.265 Main Profile / Level 5.1", true,
     false, false, true},
    {"1.2.840.10008.1.2.4.108", "HEVC/H.265 Main 10 Profile / Level 5.1", true,
     false, false, true},
    {"1.2.840.10008.1.2.4.201",
     "High-Throughput JPEG 2000 Image Compression "
     "(Lossless Only)",
     true, false, false, true},
    {"1.2.840.10008.1.2.4.202",
     "High-Throughput JPEG 2000 with RPCL Options Image Compression "
     "(Lossless Only)",
     true, false, false, true},
    {"1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000 Image Compression",
     true, false, false, true},
};

const RertTransferSyntax *rert_transfer_syntax_find(const char *uid)
{
    size_t n = strlen(uid);
    while (n > 0 && (uid[n - 1] == ' ' || uid[n - 1] == '\0')) {
        n--;
    }
    for (size_t i = 0; i < sizeof syntaxes / sizeof syntaxes[0]; i++) {
        if (strlen(syntaxes[i].uid) == n &&
            memcmp(syntaxes[i].uid, uid, n) == 0) {
            return &syntaxes[i];
        }
    }
    return NULL;
}

static bool random_bytes(RertError *err, uint8_t *out, size_t n)
{
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return rert_error_set(err, RERT_ERR_IO, "/dev/urandom: cannot open: %s",
                              strerror(errno));
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, out + got, n - got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            close(fd);
            return rert_error_set(err, RERT_ERR_IO,
                                  "/dev/urandom: read %zu of %zu bytes", got,
                                  n);
        }
        got += (size_t)r;
    }
    close(fd);
    return true;
}

/* Decimal digits of the 128-bit big-endian number in @p num (destroyed)
 * into @p out (at most 39 digits + NUL), by repeated division by 10. */
static void to_decimal(uint8_t num[16], char out[40])
{
    char digits[40];
    size_t count = 0;
    bool nonzero = true;
    while (nonzero && count < 39) {
        unsigned remainder = 0;
        nonzero = false;
        for (size_t i = 0; i < 16; i++) {
            unsigned cur = (remainder << 8) | num[i];
            num[i] = (uint8_t)(cur / 10u);
            remainder = cur % 10u;
            nonzero = nonzero || num[i] != 0;
        }
        digits[count++] = (char)('0' + remainder);
    }
    for (size_t i = 0; i < count; i++) {
        out[i] = digits[count - 1 - i];
    }
    out[count] = '\0';
}

bool rert_uid_generate(RertError *err, char out[RERT_UID_SIZE])
{
    uint8_t num[16];
    if (!random_bytes(err, num, sizeof num)) {
        return false;
    }
    /* Mark it as a version 4 (random) UUID, RFC 4122 section 4.4. */
    num[6] = (uint8_t)((num[6] & 0x0F) | 0x40);
    num[8] = (uint8_t)((num[8] & 0x3F) | 0x80);
    char decimal[40];
    to_decimal(num, decimal);
    (void)snprintf(out, RERT_UID_SIZE, "2.25.%s", decimal);
    return true;
}

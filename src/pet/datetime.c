/* DICOM DA, TM and DT values (PS3.5 6.2) as seconds since 1970-01-01, for
 * decay times. Strict: every character must be accounted for. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static bool digits(const char *s, size_t n, long *out)
{
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Days from 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static long days_from_civil(long y, long m, long d)
{
    y -= m <= 2 ? 1 : 0;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, long *y, long *m, long *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2 ? 1 : 0);
}

static bool valid_date(long y, long m, long d)
{
    static const int month_days[12] = {31, 29, 31, 30, 31, 30,
                                       31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1 ||
        d > month_days[m - 1]) {
        return false;
    }
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m != 2 || d <= 28 || leap;
}

/* Copy of @p text without surrounding spaces into @p buf. */
static bool trimmed(const char *text, char *buf, size_t size)
{
    if (text == NULL) {
        return false;
    }
    while (*text == ' ') {
        text++;
    }
    size_t n = strlen(text);
    while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\0')) {
        n--;
    }
    if (n == 0 || n >= size) {
        return false;
    }
    memcpy(buf, text, n);
    buf[n] = '\0';
    return true;
}

bool pet_parse_da(const char *text, long *days)
{
    char s[16];
    long y = 0;
    long m = 0;
    long d = 0;
    if (!trimmed(text, s, sizeof s)) {
        return false;
    }
    size_t n = strlen(s);
    bool ok = false;
    if (n == 8) {
        ok = digits(s, 4, &y) && digits(s + 4, 2, &m) && digits(s + 6, 2, &d);
    } else if (n == 10 && s[4] == '.' && s[7] == '.') {
        /* ACR-NEMA style, still met in old headers. */
        ok = digits(s, 4, &y) && digits(s + 5, 2, &m) && digits(s + 8, 2, &d);
    }
    if (!ok || !valid_date(y, m, d)) {
        return false;
    }
    *days = days_from_civil(y, m, d);
    return true;
}

/* Fraction ".F{1,6}" at @p s (may be empty) -> seconds. */
static bool fraction(const char *s, double *out)
{
    *out = 0.0;
    if (*s == '\0') {
        return true;
    }
    size_t n = strlen(s + 1);
    long v = 0;
    if (s[0] != '.' || n < 1 || n > 6 || !digits(s + 1, n, &v)) {
        return false;
    }
    *out = (double)v / pow(10.0, (double)n);
    return true;
}

/* "HH[MM[SS]]" parts of @p s (length n, digits only). */
static bool clock_parts(const char *s, size_t n, double *seconds)
{
    long h = 0;
    long m = 0;
    long sec = 0;
    if (n != 2 && n != 4 && n != 6) {
        return false;
    }
    bool ok = digits(s, 2, &h) && (n < 4 || digits(s + 2, 2, &m)) &&
              (n < 6 || digits(s + 4, 2, &sec));
    /* 60 allows a leap second, as PS3.5 does. */
    if (!ok || h > 23 || m > 59 || sec > 60) {
        return false;
    }
    *seconds = (double)(h * 3600 + m * 60 + sec);
    return true;
}

bool pet_parse_tm(const char *text, double *seconds)
{
    char s[32];
    if (!trimmed(text, s, sizeof s)) {
        return false;
    }
    if (strlen(s) >= 8 && s[2] == ':' && s[5] == ':') {
        /* ACR-NEMA "HH:MM:SS[.F]": drop the colons. */
        memmove(s + 2, s + 3, strlen(s + 3) + 1);
        memmove(s + 4, s + 5, strlen(s + 5) + 1);
    }
    const char *dot = strchr(s, '.');
    size_t n = dot != NULL ? (size_t)(dot - s) : strlen(s);
    double clock = 0.0;
    double frac = 0.0;
    if (!clock_parts(s, n, &clock) || !fraction(s + n, &frac) ||
        (frac > 0.0 && n != 6)) {
        return false;
    }
    *seconds = clock + frac;
    return true;
}

bool pet_parse_dt(const char *text, double *seconds, bool *has_offset)
{
    char s[40];
    if (!trimmed(text, s, sizeof s)) {
        return false;
    }
    *has_offset = false;
    char *sign = strpbrk(s, "+-");
    if (sign != NULL) {
        long zone = 0;
        if (strlen(sign) != 5 || !digits(sign + 1, 4, &zone)) {
            return false;
        }
        *has_offset = true;
        *sign = '\0';
    }
    size_t n = strlen(s);
    const char *dot = strchr(s, '.');
    size_t whole = dot != NULL ? (size_t)(dot - s) : n;
    char date[9];
    if (whole < 8) {
        return false;
    }
    memcpy(date, s, 8);
    date[8] = '\0';
    long days = 0;
    double clock = 0.0;
    double frac = 0.0;
    if (!pet_parse_da(date, &days) ||
        (whole > 8 && !clock_parts(s + 8, whole - 8, &clock)) ||
        !fraction(s + whole, &frac) || (frac > 0.0 && whole != 14)) {
        return false;
    }
    *seconds = (double)days * 86400.0 + clock + frac;
    return true;
}

void pet_format_datetime(double seconds, char *buf, size_t size)
{
    double day = floor(seconds / 86400.0);
    double rest = seconds - day * 86400.0;
    long y = 0;
    long m = 0;
    long d = 0;
    civil_from_days((long)day, &y, &m, &d);
    long whole = (long)floor(rest);
    (void)snprintf(buf, size, "%04ld-%02ld-%02ld %02ld:%02ld:%02ld", y, m, d,
                   whole / 3600, (whole / 60) % 60, whole % 60);
}

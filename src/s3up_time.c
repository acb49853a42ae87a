/*
 * Times as text.
 */
#include <apr_strings.h>

#include "s3up_time.h"

const char *s3up_time_iso8601(apr_time_t t, apr_pool_t *p)
{
    apr_time_exp_t x;
    apr_time_exp_gmt(&x, t);
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02dZ", x.tm_year + 1900, x.tm_mon + 1,
                        x.tm_mday, x.tm_hour, x.tm_min, x.tm_sec);
}

const char *s3up_time_amz(apr_time_t t, apr_pool_t *p)
{
    apr_time_exp_t tm;

    apr_time_exp_gmt(&tm, t);
    return apr_psprintf(p, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                        tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Exactly n ASCII digits. */
static int digits(const char **s, int n, int *out)
{
    int v = 0;
    for (; n > 0; n--, (*s)++) {
        if (**s < '0' || **s > '9') {
            return 0;
        }
        v = v * 10 + (**s - '0');
    }
    *out = v;
    return 1;
}

static int days_in_month(int year, int mon)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return mon == 2 && leap ? 29 : days[mon - 1];
}

apr_status_t s3up_time_parse(apr_time_t *out, const char *s)
{
    apr_time_exp_t tm;
    int year, mon, day, hour, min, sec, usec = 0, scale = 100000;

    if (!s || !digits(&s, 4, &year) || *s++ != '-' || !digits(&s, 2, &mon) || *s++ != '-' ||
        !digits(&s, 2, &day) || *s++ != 'T' || !digits(&s, 2, &hour) || *s++ != ':' ||
        !digits(&s, 2, &min) || *s++ != ':' || !digits(&s, 2, &sec)) {
        return S3UP_EPARSE;
    }
    if (*s == '.') {
        if (s[1] < '0' || s[1] > '9') {
            return S3UP_EPARSE;
        }
        /* Any number of fraction digits; apr_time_t keeps microseconds. */
        for (s++; *s >= '0' && *s <= '9'; s++, scale /= 10) {
            usec += (*s - '0') * scale;
        }
    }
    if (s[0] != 'Z' || s[1] != '\0') {
        return S3UP_EPARSE;
    }
    if (year < 1970 || mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) ||
        hour > 23 || min > 59 || sec > 59) {
        return S3UP_EPARSE;
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    tm.tm_usec = usec;
    return apr_time_exp_gmt_get(out, &tm) == APR_SUCCESS ? APR_SUCCESS : S3UP_EPARSE;
}

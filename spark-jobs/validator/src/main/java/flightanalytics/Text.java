package flightanalytics;

/** Byte and string checks of the parser, allocation-free. */
final class Text {
    private Text() {}

    /**
     * Whether `bytes` are well-formed UTF-8 (Unicode table 3-7): no stray continuation byte, no
     * overlong form, no surrogate (U+D800..U+DFFF), nothing above U+10FFFF, no cut-off sequence.
     */
    static boolean isUtf8(byte[] bytes) {
        int i = 0;
        int n = bytes.length;
        while (i < n) {
            int b = bytes[i];
            if (b >= 0) {
                i++;
                continue;
            }
            b &= 0xFF;
            if (b < 0xC2) {
                return false;
            }
            if (b < 0xE0) {
                if (i + 1 >= n || !continuation(bytes[i + 1])) {
                    return false;
                }
                i += 2;
            } else if (b < 0xF0) {
                if (i + 2 >= n) {
                    return false;
                }
                int b1 = bytes[i + 1] & 0xFF;
                int low = b == 0xE0 ? 0xA0 : 0x80;
                int high = b == 0xED ? 0x9F : 0xBF;
                if (b1 < low || b1 > high || !continuation(bytes[i + 2])) {
                    return false;
                }
                i += 3;
            } else if (b < 0xF5) {
                if (i + 3 >= n) {
                    return false;
                }
                int b1 = bytes[i + 1] & 0xFF;
                int low = b == 0xF0 ? 0x90 : 0x80;
                int high = b == 0xF4 ? 0x8F : 0xBF;
                if (b1 < low || b1 > high || !continuation(bytes[i + 2]) || !continuation(bytes[i + 3])) {
                    return false;
                }
                i += 4;
            } else {
                return false;
            }
        }
        return true;
    }

    private static boolean continuation(byte b) {
        return (b & 0xC0) == 0x80;
    }

    /** Whether every surrogate in `s` is half of a pair (a "\ud800" escape alone is not text). */
    static boolean wellFormed(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (!Character.isHighSurrogate(c) || i + 1 >= n || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return false;
                }
                i++;
            }
        }
        return true;
    }

    /** Length in code points (what JSON Schema's minLength/maxLength count), for a well-formed string. */
    static int codePoints(String s) {
        return s.codePointCount(0, s.length());
    }

    /** What {@link #dateTimeMicros} returns for a string that is not a date-time (no date-time it accepts is this far back). */
    static final long NOT_A_DATE_TIME = Long.MIN_VALUE;

    /**
     * An RFC 3339 date-time as microseconds since the Unix epoch (Spark's timestamp), or
     * {@link #NOT_A_DATE_TIME} if `s` is not one:
     * {@code YYYY-MM-DDTHH:MM:SS[.f{1,6}](Z|+HH:MM|-HH:MM)}, with an upper-case T and Z, a real
     * calendar day, year 0001-9999, hours 00-23 and no leap second (60). At most 6 fractional digits:
     * Spark keeps microseconds, so a 7th digit could only be dropped or rounded, never stored.
     */
    static long dateTimeMicros(String s) {
        int n = s.length();
        if (n < 20 || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T' || s.charAt(13) != ':'
                || s.charAt(16) != ':') {
            return NOT_A_DATE_TIME;
        }
        int year = digits(s, 0, 4);
        int month = digits(s, 5, 2);
        int day = digits(s, 8, 2);
        int hour = digits(s, 11, 2);
        int minute = digits(s, 14, 2);
        int second = digits(s, 17, 2);
        if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour < 0 || hour > 23
                || minute < 0 || minute > 59 || second < 0 || second > 59) {
            return NOT_A_DATE_TIME;
        }
        int i = 19;
        int nanos = 0;
        if (s.charAt(i) == '.') {
            int start = ++i;
            while (i < n && isDigit(s.charAt(i))) {
                if (i - start == 6) {
                    return NOT_A_DATE_TIME;
                }
                nanos = nanos * 10 + (s.charAt(i) - '0');
                i++;
            }
            int count = i - start;
            if (count == 0) {
                return NOT_A_DATE_TIME;
            }
            for (int k = count; k < 9; k++) {
                nanos *= 10;
            }
        }
        if (i >= n) {
            return NOT_A_DATE_TIME;
        }
        int offsetSeconds;
        char zone = s.charAt(i);
        if (zone == 'Z') {
            offsetSeconds = 0;
            i++;
        } else if (zone == '+' || zone == '-') {
            if (n - i != 6 || s.charAt(i + 3) != ':') {
                return NOT_A_DATE_TIME;
            }
            int offsetHours = digits(s, i + 1, 2);
            int offsetMinutes = digits(s, i + 4, 2);
            if (offsetHours < 0 || offsetHours > 23 || offsetMinutes < 0 || offsetMinutes > 59) {
                return NOT_A_DATE_TIME;
            }
            offsetSeconds = (zone == '-' ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60);
            i += 6;
        } else {
            return NOT_A_DATE_TIME;
        }
        if (i != n) {
            return NOT_A_DATE_TIME;
        }
        long epochSecond = epochDay(year, month, day) * 86400L + hour * 3600L + minute * 60L + second - offsetSeconds;
        return epochSecond * 1_000_000L + nanos / 1_000;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** The ASCII digits s[from, from + count) as a number, or -1 if any is not an ASCII digit. */
    private static int digits(String s, int from, int count) {
        int value = 0;
        for (int i = from; i < from + count; i++) {
            char c = s.charAt(i);
            if (!isDigit(c)) {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    private static int daysInMonth(int year, int month) {
        switch (month) {
            case 2:
                return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28;
            case 4:
            case 6:
            case 9:
            case 11:
                return 30;
            default:
                return 31;
        }
    }

    /** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
    static long epochDay(int year, int month, int day) {
        long y = month <= 2 ? year - 1 : year;
        long era = (y >= 0 ? y : y - 399) / 400;
        long yearOfEra = y - era * 400;
        long dayOfYear = (153L * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
        long dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
        return era * 146097 + dayOfEra - 719468;
    }
}

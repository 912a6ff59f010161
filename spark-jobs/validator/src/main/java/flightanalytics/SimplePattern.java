package flightanalytics;

import java.util.ArrayList;
import java.util.List;

/**
 * A JSON Schema pattern of the simplest shape, matched without java.util.regex: anchored at both
 * ends ({@code ^...$}), a sequence of ASCII letters, digits or character classes of them, each
 * optionally repeated a bounded number of times ({@code {n}}, {@code {m,n}}, {@code ?}). Every
 * pattern of the flight event schema is one: {@code ^[A-Z0-9]{2}[0-9]{1,4}$}, {@code ^[A-Z]{3}$}.
 *
 * <p>Why: a {@code Matcher} per string value was about 4 % of the job's executor samples (a
 * profile of 2026-12-07). {@link #compile} returns null for any other pattern, which then goes to
 * java.util.regex as before (EventSchema picks one or the other per field). The meaning is ECMA-262's, as {@link EventSchema#ecmaToJava} gives
 * it: {@code $} is the end of the input only, and a class holds only what it lists (no case
 * folding). Matching is on UTF-16 units: every unit an ASCII-only class can match is a whole code
 * point, so a surrogate pair fails here exactly where it fails a regex.
 */
public final class SimplePattern {
    /** Longest string any pattern taken here can match, which bounds the backtracking. */
    private static final int MAX_TOTAL = 64;

    private final boolean[][] classes; // per item: the ASCII characters it accepts
    private final int[] min;
    private final int[] max;
    private final int longest;

    private SimplePattern(boolean[][] classes, int[] min, int[] max, int longest) {
        this.classes = classes;
        this.min = min;
        this.max = max;
        this.longest = longest;
    }

    /** The pattern (ECMA-262 source, as in the schema) as a SimplePattern, or null if it is not of the simple shape. */
    public static SimplePattern compile(String pattern) {
        int n = pattern.length();
        if (n < 2 || pattern.charAt(0) != '^' || pattern.charAt(n - 1) != '$') {
            return null;
        }
        List<boolean[]> classes = new ArrayList<>();
        List<int[]> bounds = new ArrayList<>();
        int total = 0;
        int i = 1;
        while (i < n - 1) {
            boolean[] accepts = new boolean[128];
            char c = pattern.charAt(i);
            if (c == '[') {
                int close = pattern.indexOf(']', i + 1);
                if (close < 0 || close == i + 1) {
                    return null;
                }
                for (int j = i + 1; j < close; j++) {
                    char from = pattern.charAt(j);
                    if (!plain(from)) {
                        return null; // a negation, an escape, a '-' at either end: left to the regex
                    }
                    char to = from;
                    if (j + 2 < close && pattern.charAt(j + 1) == '-') {
                        to = pattern.charAt(j + 2);
                        if (!plain(to) || to < from) {
                            return null;
                        }
                        j += 2;
                    }
                    for (char k = from; k <= to; k++) {
                        accepts[k] = true;
                    }
                }
                i = close + 1;
            } else if (plain(c)) {
                accepts[c] = true;
                i++;
            } else {
                return null;
            }
            int lo = 1;
            int hi = 1;
            if (i < n - 1 && pattern.charAt(i) == '?') {
                lo = 0;
                i++;
            } else if (i < n - 1 && pattern.charAt(i) == '{') {
                int close = pattern.indexOf('}', i);
                if (close < 0 || close >= n - 1) {
                    return null;
                }
                String[] parts = pattern.substring(i + 1, close).split(",", -1);
                if (parts.length > 2 || !digits(parts[0]) || (parts.length == 2 && !digits(parts[1]))) {
                    return null; // {m,} (unbounded) included
                }
                lo = Integer.parseInt(parts[0]);
                hi = parts.length == 2 ? Integer.parseInt(parts[1]) : lo;
                if (hi < lo) {
                    return null;
                }
                i = close + 1;
            }
            total += hi;
            if (total > MAX_TOTAL) {
                return null;
            }
            classes.add(accepts);
            bounds.add(new int[] {lo, hi});
        }
        int[] min = new int[bounds.size()];
        int[] max = new int[bounds.size()];
        for (int k = 0; k < min.length; k++) {
            min[k] = bounds.get(k)[0];
            max[k] = bounds.get(k)[1];
        }
        return new SimplePattern(classes.toArray(new boolean[0][]), min, max, total);
    }

    private static boolean plain(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    }

    private static boolean digits(String s) {
        if (s.isEmpty() || s.length() > 2) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** Whether the whole of `text` matches (what find() of the anchored regex answers). */
    public boolean matches(String text) {
        return text.length() <= longest && match(text, 0, 0);
    }

    private boolean match(String text, int at, int item) {
        if (item == classes.length) {
            return at == text.length();
        }
        boolean[] accepts = classes[item];
        int run = 0;
        while (run < max[item] && at + run < text.length()) {
            char c = text.charAt(at + run);
            if (c >= 128 || !accepts[c]) {
                break;
            }
            run++;
        }
        // Greedy first, then give back one character at a time, as a backtracking regex does.
        for (int taken = run; taken >= min[item]; taken--) {
            if (match(text, at + taken, item + 1)) {
                return true;
            }
        }
        return false;
    }
}

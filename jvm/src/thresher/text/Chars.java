package thresher.text;

/**
 * Character classes with Python's meaning, so the UDFs count what a plain-Python
 * reimplementation (and DataTrove) counts: {@code str.isspace()} and
 * {@code str.splitlines()} boundaries. They match the regexes of the Spark SQL path
 * (operators/text/_expr.py) character for character, as both use the JDK's tables.
 */
final class Chars {
    private Chars() {}

    /** Python {@code str.isspace()}: \s, U+001C..U+001F, NEL and \p{Z}. */
    static boolean isSpace(char c) {
        if (c < 128) {
            return c == ' ' || (c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x1f);
        }
        if (c == 0x85 || c == 0xa0) {
            return true;
        }
        int t = Character.getType(c);
        return t == Character.SPACE_SEPARATOR || t == Character.LINE_SEPARATOR
                || t == Character.PARAGRAPH_SEPARATOR;
    }

    /** A {@code str.splitlines()} boundary (\r\n is one boundary; callers handle it). */
    static boolean isLineBreak(char c) {
        return (c >= 10 && c <= 13) || (c >= 0x1c && c <= 0x1e) || c == 0x85
                || c == 0x2028 || c == 0x2029;
    }

    /** Whitespace within a line: tab, U+001F and the space separators. */
    static boolean isLineSpace(char c) {
        return c == '\t' || c == 0x1f || Character.getType(c) == Character.SPACE_SEPARATOR;
    }

    /** The stop-word edge class of the SQL path: \p{L}, \p{N}, \p{M} or '_'. */
    static boolean isWordChar(int cp) {
        if (cp < 128) {
            return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9')
                    || cp == '_';
        }
        switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER: case Character.LOWERCASE_LETTER:
            case Character.TITLECASE_LETTER: case Character.MODIFIER_LETTER:
            case Character.OTHER_LETTER: case Character.DECIMAL_DIGIT_NUMBER:
            case Character.LETTER_NUMBER: case Character.OTHER_NUMBER:
            case Character.NON_SPACING_MARK: case Character.ENCLOSING_MARK:
            case Character.COMBINING_SPACING_MARK:
                return true;
            default:
                return cp == '_';
        }
    }

    /** The per-code-point case fold of java.util.regex with CASE_INSENSITIVE|UNICODE_CASE. */
    static int fold(int cp) {
        return Character.toLowerCase(Character.toUpperCase(cp));
    }

    /** Code points in s[from, to). */
    static int codePoints(String s, int from, int to) {
        return s.codePointCount(from, to);
    }

    /**
     * Line bounds of {@code str.splitlines()}: starts and ends packed as
     * {@code bounds[2k], bounds[2k+1]}; returns the number of lines.
     */
    static int lines(String s, IntList bounds) {
        bounds.clear();
        int n = s.length();
        int start = 0;
        int i = 0;
        while (i < n) {
            char c = s.charAt(i);
            if (isLineBreak(c)) {
                bounds.add(start);
                bounds.add(i);
                i += (c == '\r' && i + 1 < n && s.charAt(i + 1) == '\n') ? 2 : 1;
                start = i;
            } else {
                i++;
            }
        }
        if (start < n) {
            bounds.add(start);
            bounds.add(n);
        }
        return bounds.size() / 2;
    }

    /** Word bounds of {@code str.split()}, packed like {@link #lines}; returns the count. */
    static int words(String s, IntList bounds) {
        bounds.clear();
        int n = s.length();
        int i = 0;
        while (i < n) {
            while (i < n && isSpace(s.charAt(i))) {
                i++;
            }
            if (i == n) {
                break;
            }
            int start = i;
            while (i < n && !isSpace(s.charAt(i))) {
                i++;
            }
            bounds.add(start);
            bounds.add(i);
        }
        return bounds.size() / 2;
    }
}

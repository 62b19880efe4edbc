package thresher.text;

import java.util.HashSet;
import java.util.Set;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF2;

/**
 * Counting UDFs of the Gopher quality rules, one pass over the text each. A null
 * text gives null, as the SQL expressions do. Registered by operators/text/jvm.py.
 */
public final class Counts {
    private Counts() {}

    static final ThreadLocal<IntList> SCRATCH = ThreadLocal.withInitial(IntList::new);

    /** {@code len(text.split())}. */
    public static final class WordCount implements UDF1<String, Integer> {
        private static final long serialVersionUID = 1L;

        @Override
        public Integer call(String s) {
            return s == null ? null : Chars.words(s, SCRATCH.get());
        }
    }

    /** Code points outside whitespace (the total length of the words). */
    public static final class WordChars implements UDF1<String, Long> {
        private static final long serialVersionUID = 1L;

        @Override
        public Long call(String s) {
            if (s == null) {
                return null;
            }
            long spaces = 0;
            for (int i = 0, n = s.length(); i < n; i++) {
                if (Chars.isSpace(s.charAt(i))) {
                    spaces++;
                }
            }
            return s.codePointCount(0, s.length()) - spaces;
        }
    }

    /** Words with at least one letter (\p{L}). */
    public static final class AlphaWords implements UDF1<String, Integer> {
        private static final long serialVersionUID = 1L;

        @Override
        public Integer call(String s) {
            if (s == null) {
                return null;
            }
            IntList w = SCRATCH.get();
            int words = Chars.words(s, w);
            int alpha = 0;
            for (int k = 0; k < words; k++) {
                int end = w.get(2 * k + 1);
                for (int i = w.get(2 * k); i < end; ) {
                    int cp = s.codePointAt(i);
                    if (Character.isLetter(cp)) {
                        alpha++;
                        break;
                    }
                    i += Character.charCount(cp);
                }
            }
            return alpha;
        }
    }

    /** {@code len(text.splitlines())}. */
    public static final class LineCount implements UDF1<String, Integer> {
        private static final long serialVersionUID = 1L;

        @Override
        public Integer call(String s) {
            return s == null ? null : Chars.lines(s, SCRATCH.get());
        }
    }

    /** Lines ending with '...' or '…', before trailing in-line whitespace. */
    public static final class EllipsisLines implements UDF1<String, Integer> {
        private static final long serialVersionUID = 1L;

        @Override
        public Integer call(String s) {
            if (s == null) {
                return null;
            }
            IntList b = SCRATCH.get();
            int lines = Chars.lines(s, b);
            int count = 0;
            for (int k = 0; k < lines; k++) {
                int start = b.get(2 * k);
                int end = b.get(2 * k + 1);
                while (end > start && Chars.isLineSpace(s.charAt(end - 1))) {
                    end--;
                }
                if ((end - start >= 1 && s.charAt(end - 1) == '\u2026')
                        || (end - start >= 3 && s.startsWith("...", end - 3))) {
                    count++;
                }
            }
            return count;
        }
    }

    /** Lines that start with one of the bullets (given joined by '\n'), after in-line whitespace. */
    public static final class BulletLines implements UDF2<String, String, Integer> {
        private static final long serialVersionUID = 1L;

        private transient String cachedKey;
        private transient String[] cachedBullets;

        @Override
        public Integer call(String s, String bulletsJoined) {
            if (s == null) {
                return null;
            }
            String[] bullets = bullets(bulletsJoined);
            IntList b = SCRATCH.get();
            int lines = Chars.lines(s, b);
            int count = 0;
            for (int k = 0; k < lines; k++) {
                int i = b.get(2 * k);
                int end = b.get(2 * k + 1);
                while (i < end && Chars.isLineSpace(s.charAt(i))) {
                    i++;
                }
                for (String bullet : bullets) {
                    if (end - i >= bullet.length() && s.startsWith(bullet, i)) {
                        count++;
                        break;
                    }
                }
            }
            return count;
        }

        private synchronized String[] bullets(String joined) {
            if (!joined.equals(cachedKey)) {
                cachedBullets = joined.split("\n", -1);
                cachedKey = joined;
            }
            return cachedBullets;
        }
    }

    /**
     * Distinct stop words (given joined by '\n', each a run of word characters) that
     * occur as a whole word in any case: a maximal run of \p{L}\p{N}\p{M}_ equal to
     * the stop word under java.util.regex's Unicode case fold, which is what the SQL
     * path's {@code (?iu)(?<!edge)word(?!edge)} matches.
     */
    public static final class Stopwords implements UDF2<String, String, Integer> {
        private static final long serialVersionUID = 1L;

        private transient String cachedKey;
        private transient Set<String> cachedFolded;
        private transient int minChars;
        private transient int maxChars;

        @Override
        public Integer call(String s, String wordsJoined) {
            if (s == null) {
                return null;
            }
            Set<String> stop = folded(wordsJoined);
            Set<String> found = new HashSet<>();
            StringBuilder run = new StringBuilder();
            int n = s.length();
            int start = -1;
            int i = 0;
            while (i <= n && found.size() < stop.size()) {
                int cp = i < n ? s.codePointAt(i) : -1;
                if (cp >= 0 && Chars.isWordChar(cp)) {
                    if (start < 0) {
                        start = i;
                    }
                } else if (start >= 0) {
                    // Only runs as long as some stop word are folded and looked up.
                    int len = i - start;
                    if (len >= minChars && len <= maxChars) {
                        run.setLength(0);
                        for (int j = start; j < i; ) {
                            int c = s.codePointAt(j);
                            run.appendCodePoint(Chars.fold(c));
                            j += Character.charCount(c);
                        }
                        String word = run.toString();
                        if (stop.contains(word)) {
                            found.add(word);
                        }
                    }
                    start = -1;
                }
                i += cp >= 0 ? Character.charCount(cp) : 1;
            }
            return found.size();
        }

        private synchronized Set<String> folded(String joined) {
            if (!joined.equals(cachedKey)) {
                Set<String> out = new HashSet<>();
                for (String w : joined.split("\n", -1)) {
                    StringBuilder b = new StringBuilder();
                    w.codePoints().forEach(cp -> b.appendCodePoint(Chars.fold(cp)));
                    out.add(b.toString());
                }
                // Folding maps code point to code point, but may change the UTF-16 length.
                int lo = Integer.MAX_VALUE;
                int hi = 0;
                for (String w : joined.split("\n", -1)) {
                    lo = Math.min(lo, w.codePointCount(0, w.length()));
                    hi = Math.max(hi, 2 * w.codePointCount(0, w.length()));
                }
                minChars = lo;
                maxChars = hi;
                cachedFolded = out;
                cachedKey = joined;
            }
            return cachedFolded;
        }
    }
}

package thresher.text;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.api.java.UDF3;

/**
 * Gopher repetition UDFs: duplicate lines/paragraphs and the most frequent word
 * n-grams. Same answers as the SQL path in operators/text/repetition.py.
 */
public final class Repetition {
    private Repetition() {}


    /**
     * struct(units, dups, dup_chars) over lines ("line") or blank-line separated
     * paragraphs of the stripped text ("paragraph"); dups are units equal to an
     * earlier one, dup_chars their code points. Blank units are left out when asked.
     */
    public static final class DupUnits implements UDF3<String, String, Boolean, Row> {
        private static final long serialVersionUID = 1L;

        @Override
        public Row call(String s, String unit, Boolean ignoreBlank) {
            if (s == null) {
                return null;
            }
            List<String> units = "paragraph".equals(unit) ? paragraphs(s) : lines(s);
            Set<String> seen = new HashSet<>(units.size() * 2);
            int kept = 0;
            int dups = 0;
            long dupChars = 0;
            for (String u : units) {
                if (Boolean.TRUE.equals(ignoreBlank) && isBlank(u)) {
                    continue;
                }
                kept++;
                if (!seen.add(u)) {
                    dups++;
                    dupChars += u.codePointCount(0, u.length());
                }
            }
            return RowFactory.create(kept, dups, dupChars);
        }

        private static boolean isBlank(String u) {
            for (int i = 0, n = u.length(); i < n; i++) {
                if (!Chars.isSpace(u.charAt(i))) {
                    return false;
                }
            }
            return true;
        }

        private static List<String> lines(String s) {
            IntList b = Counts.SCRATCH.get();
            int n = Chars.lines(s, b);
            List<String> out = new ArrayList<>(n);
            for (int k = 0; k < n; k++) {
                out.add(s.substring(b.get(2 * k), b.get(2 * k + 1)));
            }
            return out;
        }

        /**
         * Blank-line separated paragraphs of the stripped text: the pieces between
         * matches of the SQL path's {@code LB(?:HWS*+LB)+}, found without a regex. As
         * that regex does by backtracking, a lone \r\n is a break too (\r, then \n).
         */
        static List<String> paragraphs(String s) {
            int start = 0;
            int end = s.length();
            while (start < end && Chars.isSpace(s.charAt(start))) {
                start++;
            }
            while (end > start && Chars.isSpace(s.charAt(end - 1))) {
                end--;
            }
            List<String> out = new ArrayList<>();
            int piece = start;
            int i = start;
            while (i < end) {
                if (!Chars.isLineBreak(s.charAt(i))) {
                    i++;
                    continue;
                }
                int first = afterBreak(s, i, end);
                int k = first;
                boolean blankLines = false;
                while (true) {
                    int h = k;
                    while (h < end && Chars.isLineSpace(s.charAt(h))) {
                        h++;
                    }
                    if (h < end && Chars.isLineBreak(s.charAt(h))) {
                        k = afterBreak(s, h, end);
                        blankLines = true;
                    } else {
                        break;
                    }
                }
                if (blankLines || first - i == 2) {
                    out.add(s.substring(piece, i));
                    piece = k;
                    i = k;
                } else {
                    i++;
                }
            }
            out.add(s.substring(piece, end));
            return out;
        }

        private static int afterBreak(String s, int i, int end) {
            return (s.charAt(i) == '\r' && i + 1 < end && s.charAt(i + 1) == '\n') ? i + 2 : i + 1;
        }
    }

    /**
     * For each n of a comma-separated list, struct(gram, count) of the most frequent
     * word n-gram (" ".join of n consecutive {@code str.split()} words), ties to the
     * one that occurs first, as {@code Counter.most_common(1)}; null when there are
     * fewer than n words. Exact: an n-gram is identified by the pair (id of its
     * (n-1)-word prefix, id of its last word), so no hash can collide.
     */
    public static final class TopNgrams implements UDF2<String, String, List<Row>> {
        private static final long serialVersionUID = 1L;

        private transient String cachedKey;
        private transient int[] cachedNs;

        @Override
        public List<Row> call(String s, String nsJoined) {
            if (s == null) {
                return null;
            }
            int[] ns = ns(nsJoined);
            int maxN = 0;
            for (int n : ns) {
                maxN = Math.max(maxN, n);
            }
            IntList b = Counts.SCRATCH.get();
            int words = Chars.words(s, b);
            Row[] top = new Row[maxN + 1];
            int[] wordIds = new int[words];
            int distinct = wordIds(s, b, wordIds);
            int[] gramIds = wordIds;
            int[] counts = new int[Math.max(words, 1)];
            int[] firstPos = new int[Math.max(words, 1)];
            LongIntMap pairs = new LongIntMap(Math.max(words, 1));
            for (int n = 1; n <= maxN && n <= words; n++) {
                int grams = words - n + 1;
                if (n > 1) {
                    // gramIds[i] names the (n-1)-gram at i; extend it by word i+n-1.
                    pairs.clear();
                    for (int i = 0; i < grams; i++) {
                        long key = ((long) gramIds[i] << 32) | wordIds[i + n - 1];
                        gramIds[i] = pairs.idOf(key);
                    }
                    distinct = pairs.size();
                }
                Arrays.fill(counts, 0, distinct, 0);
                int seen = 0;
                for (int i = 0; i < grams; i++) {
                    int id = gramIds[i];
                    if (id == seen) {  // ids are numbered in order of first occurrence
                        firstPos[seen++] = i;
                    }
                    counts[id]++;
                }
                int best = 0;
                for (int id = 1; id < distinct; id++) {
                    if (counts[id] > counts[best]) {  // ties: the earliest n-gram wins
                        best = id;
                    }
                }
                top[n] = RowFactory.create(gram(s, b, firstPos[best], n), counts[best]);
                if (n == 1) {
                    gramIds = wordIds.clone();
                }
            }
            List<Row> out = new ArrayList<>(ns.length);
            for (int n : ns) {
                out.add(top[n]);
            }
            return out;
        }

        /** Dense word ids in order of first occurrence; returns how many distinct words. */
        private static int wordIds(String s, IntList b, int[] out) {
            Map<String, Integer> dict = new HashMap<>(out.length * 2);
            for (int k = 0; k < out.length; k++) {
                String w = s.substring(b.get(2 * k), b.get(2 * k + 1));
                Integer id = dict.putIfAbsent(w, dict.size());
                out[k] = id == null ? dict.size() - 1 : id;
            }
            return dict.size();
        }

        private static String gram(String s, IntList b, int pos, int n) {
            StringBuilder out = new StringBuilder();
            for (int k = pos; k < pos + n; k++) {
                if (k > pos) {
                    out.append(' ');
                }
                out.append(s, b.get(2 * k), b.get(2 * k + 1));
            }
            return out.toString();
        }

        private synchronized int[] ns(String joined) {
            if (!joined.equals(cachedKey)) {
                String[] parts = joined.split(",");
                int[] out = new int[parts.length];
                for (int i = 0; i < parts.length; i++) {
                    out[i] = Integer.parseInt(parts[i].trim());
                }
                cachedNs = out;
                cachedKey = joined;
            }
            return cachedNs;
        }
    }
}

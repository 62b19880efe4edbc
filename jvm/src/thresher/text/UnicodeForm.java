package thresher.text;

import com.ibm.icu.text.Normalizer2;
import org.apache.spark.sql.api.java.UDF2;

/**
 * {@code unicodedata.normalize(form, text)} with ICU4J's {@link Normalizer2} (ICU ships
 * in Spark's own jars since Spark 4). The same data and result as the SQL path's
 * {@code reflect('com.ibm.icu.text.Normalizer', 'compose', text, true)}, without a
 * reflective call per row; a text whose prefix passes the quick check is not copied
 * there, which for mostly-ASCII web text is the whole of it.
 */
public final class UnicodeForm implements UDF2<String, String, String> {
    private static final long serialVersionUID = 1L;

    static Normalizer2 instance(String form) {
        switch (form) {
            case "NFC":
                return Normalizer2.getNFCInstance();
            case "NFKC":
                return Normalizer2.getNFKCInstance();
            case "NFD":
                return Normalizer2.getNFDInstance();
            case "NFKD":
                return Normalizer2.getNFKDInstance();
            default:
                throw new IllegalArgumentException("unknown Unicode form " + form
                        + " (expected NFC, NFKC, NFD or NFKD)");
        }
    }

    @Override
    public String call(String s, String form) {
        if (s == null) {
            return null;
        }
        Normalizer2 n = instance(form);
        int done = n.spanQuickCheckYes(s);
        if (done == s.length()) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length() + 16).append(s, 0, done);
        return n.normalizeSecondAndAppend(out, s.subSequence(done, s.length())).toString();
    }
}

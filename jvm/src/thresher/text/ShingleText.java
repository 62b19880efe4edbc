package thresher.text;

import org.apache.spark.sql.api.java.UDF2;

/**
 * The last pass of MinHash's text normalisation (dedup/minhash/lsh.py) in one scan:
 * every maximal run of punctuation (\p{P}, when asked) and whitespace becomes one
 * ASCII space, and the ends are trimmed. Equal, character for character, to the SQL
 * path {@code trim(regexp_replace(regexp_replace(t, '\p{P}+', ' '),
 * '[\s\x{1c}-\x{1f}\x{85}\p{Z}]+', ' '))}: both read the JDK's tables, and a run of
 * punctuation replaced by a space is then part of the whitespace run around it.
 * The two regex passes it replaces each copy the text and match a character class
 * per code point through the regex engine.
 */
public final class ShingleText implements UDF2<String, Boolean, String> {
    private static final long serialVersionUID = 1L;
    private static final ThreadLocal<StringBuilder> SCRATCH =
            ThreadLocal.withInitial(() -> new StringBuilder(4096));

    static boolean isPunctuation(int cp) {
        if (cp < 128) {
            return (cp >= '!' && cp <= '/' && cp != '$' && cp != '+')
                    || (cp >= ':' && cp <= '@' && cp != '<' && cp != '=' && cp != '>')
                    || (cp >= '[' && cp <= '_' && cp != '^') || cp == '{' || cp == '}';
        }
        switch (Character.getType(cp)) {
            case Character.CONNECTOR_PUNCTUATION:
            case Character.DASH_PUNCTUATION:
            case Character.START_PUNCTUATION:
            case Character.END_PUNCTUATION:
            case Character.INITIAL_QUOTE_PUNCTUATION:
            case Character.FINAL_QUOTE_PUNCTUATION:
            case Character.OTHER_PUNCTUATION:
                return true;
            default:
                return false;
        }
    }

    @Override
    public String call(String s, Boolean stripPunctuation) {
        if (s == null) {
            return null;
        }
        boolean punct = stripPunctuation != null && stripPunctuation;
        StringBuilder out = SCRATCH.get();
        out.setLength(0);
        int n = s.length();
        int word = -1; // start of the run of kept chars being scanned, -1 in a separator run
        for (int i = 0; i < n; ) {
            char c = s.charAt(i);
            int width = 1;
            boolean separator;
            if (c < 128) { // the common case, without a table lookup
                separator = Chars.isSpace(c) || (punct && isPunctuation(c));
            } else {
                int cp = s.codePointAt(i);
                width = Character.charCount(cp);
                // No space code point lies outside the BMP; punctuation does (U+1039F...).
                separator = (width == 1 && Chars.isSpace(c)) || (punct && isPunctuation(cp));
            }
            if (separator) {
                if (word >= 0) {
                    out.append(s, word, i);
                    word = -1;
                }
            } else if (word < 0) {
                if (out.length() > 0) {
                    out.append(' ');
                }
                word = i;
            }
            i += width;
        }
        if (word == 0) {
            return s; // no separator at all
        }
        if (word > 0) {
            out.append(s, word, n);
        }
        return out.toString();
    }
}

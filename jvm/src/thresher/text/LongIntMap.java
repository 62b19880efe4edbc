package thresher.text;

import java.util.Arrays;

/**
 * Open-addressing map from long keys to dense int ids (0, 1, 2, ... in insertion
 * order), without boxing: the n-gram id table of {@link Repetition.TopNgrams}.
 */
final class LongIntMap {
    private long[] keys;
    private int[] ids;
    private int size;
    private int mask;

    LongIntMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
        keys = new long[cap];
        ids = new int[cap];
        mask = cap - 1;
        Arrays.fill(ids, -1);
    }

    void clear() {
        Arrays.fill(ids, -1);
        size = 0;
    }

    int size() {
        return size;
    }

    /** The key's id, numbering it next if it is new. */
    int idOf(long key) {
        int slot = mix(key) & mask;
        while (ids[slot] >= 0) {
            if (keys[slot] == key) {
                return ids[slot];
            }
            slot = (slot + 1) & mask;
        }
        keys[slot] = key;
        ids[slot] = size;
        return size++;
    }

    private static int mix(long key) {
        key ^= key >>> 33;
        key *= 0xff51afd7ed558ccdL;
        key ^= key >>> 33;
        return (int) key;
    }
}

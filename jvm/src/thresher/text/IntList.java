package thresher.text;

import java.util.Arrays;

/** A growable int array, reused across rows so a row allocates nothing for its bounds. */
final class IntList {
    private int[] data = new int[64];
    private int size;

    void clear() {
        size = 0;
    }

    void add(int v) {
        if (size == data.length) {
            data = Arrays.copyOf(data, size * 2);
        }
        data[size++] = v;
    }

    int get(int i) {
        return data[i];
    }

    int size() {
        return size;
    }
}

package dev.stagecraft.numerals;

/** Whole numbers from 1 to 3999 as Roman numerals. */
final class Roman {
    private static final int[] VALUES = {1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1};
    private static final String[] SYMBOLS = {"M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I"};

    static String of(int n) {
        if (n < 1 || n > 3999) throw new IllegalArgumentException("n must be between 1 and 3999");
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < VALUES.length; i++) {
            while (n >= VALUES[i]) {
                out.append(SYMBOLS[i]);
                n -= VALUES[i];
            }
        }
        return out.toString();
    }

    private Roman() {}
}

package dev.stagecraft.numerals;

import java.math.BigInteger;

/** The n-th Fibonacci number, exactly (F(0) = 0, F(1) = 1), for n up to 10000. */
final class Fibonacci {
    static BigInteger of(int n) {
        if (n < 0 || n > 10_000) throw new IllegalArgumentException("n must be between 0 and 10000");
        BigInteger a = BigInteger.ZERO, b = BigInteger.ONE;
        for (int i = 0; i < n; i++) {
            BigInteger next = a.add(b);
            a = b;
            b = next;
        }
        return a;
    }

    private Fibonacci() {}
}

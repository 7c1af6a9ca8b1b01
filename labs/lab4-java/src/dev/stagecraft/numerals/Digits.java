package dev.stagecraft.numerals;

/** The sum of the decimal digits in a string of digits of any length. */
final class Digits {
    static long sum(String digits) {
        if (digits.isEmpty() || !digits.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("of must be a string of digits");
        }
        return digits.chars().mapToLong(c -> c - '0').sum();
    }

    private Digits() {}
}

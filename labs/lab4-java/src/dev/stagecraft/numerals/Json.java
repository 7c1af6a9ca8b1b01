package dev.stagecraft.numerals;

/** Just enough JSON for flat objects of strings and numbers; the standard library has none. */
final class Json {
    static String object(Object... keysAndValues) {
        StringBuilder out = new StringBuilder("{");
        for (int i = 0; i < keysAndValues.length; i += 2) {
            if (i > 0) out.append(',');
            out.append(string(keysAndValues[i].toString())).append(':');
            Object v = keysAndValues[i + 1];
            out.append(v instanceof Number ? v.toString() : string(String.valueOf(v)));
        }
        return out.append('}').toString();
    }

    private static String string(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                default -> out.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return out.append('"').toString();
    }

    private Json() {}
}

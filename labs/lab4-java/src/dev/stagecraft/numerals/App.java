package dev.stagecraft.numerals;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;

/** numerals: a small number service on the JDK's own HTTP server (no framework, no dependencies). */
public final class App {
    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        String stamp = readStamp();
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/healthz", ex -> send(ex, 200, "text/plain", "ok\n"));
        server.createContext("/stamp", ex -> send(ex, 200, "text/plain", stampAnswer(stamp, query(ex).get("x")) + "\n"));
        server.createContext("/roman", ex -> answer(ex, q -> Json.object("roman", Roman.of(intParam(q, "n")))));
        server.createContext("/fib", ex -> answer(ex, q -> Json.object("n", intParam(q, "n"), "value", Fibonacci.of(intParam(q, "n")).toString())));
        server.createContext("/digits", ex -> answer(ex, q -> Json.object("sum", Digits.sum(q.getOrDefault("of", "")))));
        server.start();
        System.out.println("numerals listening on :" + port);
    }

    /** stamp.txt is packed into the jar as a resource, so /stamp proves which build is running. */
    private static String readStamp() throws IOException {
        try (InputStream in = App.class.getResourceAsStream("/stamp.txt")) {
            return in == null ? "no stamp" : new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        }
    }

    /** The stamp and, asked /stamp?x=N, the stamp function's value for N. */
    private static String stampAnswer(String stamp, String x) {
        try {
            return x == null ? stamp : stamp + " " + Integer.toUnsignedString(stampOf(Integer.parseUnsignedInt(x)));
        } catch (NumberFormatException e) {
            return stamp;
        }
    }

    /*
     * The stamp function. Before every build the grader replaces the lines between the two
     * markers with a new function (new steps, new constants) and asks /stamp?x=N for its value:
     * only classes compiled from these sources, in the build, answer it right.
     */
    // >>> stamp function
    static int stampOf(int x) {
        return x;
    }
    // <<< stamp function

    private interface Handler {
        String handle(Map<String, String> query);
    }

    private static void answer(HttpExchange ex, Handler handler) throws IOException {
        try {
            send(ex, 200, "application/json", handler.handle(query(ex)));
        } catch (IllegalArgumentException e) {
            send(ex, 400, "application/json", Json.object("error", e.getMessage()));
        }
    }

    static int intParam(Map<String, String> query, String name) {
        String raw = query.get(name);
        if (raw == null) throw new IllegalArgumentException("missing ?" + name + "=");
        try {
            return Integer.parseInt(raw);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number");
        }
    }

    private static Map<String, String> query(HttpExchange ex) {
        Map<String, String> out = new HashMap<>();
        String raw = ex.getRequestURI().getRawQuery();
        if (raw == null) return out;
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            if (eq < 0) continue;
            out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return out;
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type + "; charset=utf-8");
        ex.sendResponseHeaders(status, bytes.length);
        try (var out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }
}

package net.poolsa.appliance.metrics;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * The appliance's small HTTP endpoint: {@code /metrics} (Prometheus text format 0.0.4), {@code /health}
 * (200 while running, 503 otherwise) and {@code /status}, {@code /status.json} (the SAs, read by
 * {@code poolsa status}). GET only, one worker thread: it serves a scraper and an operator, nothing more.
 */
public final class MetricsServer implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor;

    public MetricsServer(InetSocketAddress listen, PoolsaMetrics metrics, BooleanSupplier healthy,
                         Supplier<String> statusText, Supplier<String> statusJson) throws IOException {
        server = HttpServer.create(listen, 16);
        executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "poolsa-metrics-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/metrics", ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics::scrape));
        server.createContext("/health", ex -> {
            boolean up = healthy.getAsBoolean();
            respond(ex, up ? 200 : 503, "application/json", () -> up ? "{\"status\":\"up\"}\n" : "{\"status\":\"down\"}\n");
        });
        server.createContext("/status.json", ex -> respond(ex, 200, "application/json", statusJson));
        server.createContext("/status", ex -> respond(ex, 200, "text/plain; charset=utf-8", statusText));
        server.start();
    }

    /** The bound address (the real port when the configuration asked for port 0). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    private static void respond(HttpExchange ex, int code, String type, Supplier<String> body) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD")) {
                ex.sendResponseHeaders(405, -1);
                return;
            }
            // createContext matches by prefix: refuse /metricsfoo and the like.
            if (!path.equals(ex.getHttpContext().getPath())) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            byte[] bytes = body.get().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", type);
            if (ex.getRequestMethod().equals("HEAD")) {
                ex.sendResponseHeaders(code, -1);
                return;
            }
            ex.sendResponseHeaders(code, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}

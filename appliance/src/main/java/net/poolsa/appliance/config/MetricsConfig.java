package net.poolsa.appliance.config;

import java.net.InetSocketAddress;

/** The HTTP endpoint serving {@code /metrics}, {@code /health} and {@code /status}. */
public record MetricsConfig(InetSocketAddress listen) {
    public static final int DEFAULT_PORT = 9742;
}

package net.poolsa.appliance.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Writes a configuration and its secret files (mode 600) into a test directory. */
public final class ConfigFixture {
    /** site-b's AES-128-CBC keys and HMAC-SHA-256 keys (RFC 3602, RFC 4868: 16 and 32 bytes), test values. */
    public static final String ENC_KEY_IN = "0x0102030405060708090a0b0c0d0e0f10";
    public static final String ENC_KEY_OUT = "0x2122232425262728292a2b2c2d2e2f30";
    public static final String INT_KEY_IN = "0x" + "41".repeat(32);
    public static final String INT_KEY_OUT = "0x" + "52".repeat(32);

    private ConfigFixture() {
    }

    public static void secret(Path dir, String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
    }

    /** A valid two-connection configuration: one manual pool SA pair, one IKE connection with a PSK. */
    public static Path write(Path dir) throws IOException {
        secret(dir, "secrets/site-b.enc-in", ENC_KEY_IN);
        secret(dir, "secrets/site-b.enc-out", ENC_KEY_OUT);
        secret(dir, "secrets/site-b.int-in", INT_KEY_IN);
        secret(dir, "secrets/site-b.int-out", INT_KEY_OUT);
        secret(dir, "secrets/site-c.psk", "correct horse battery staple");
        return writeYaml(dir, YAML);
    }

    public static Path writeYaml(Path dir, String yaml) throws IOException {
        Path cfg = dir.resolve("poolsa.yaml");
        Files.writeString(cfg, yaml);
        return cfg;
    }

    public static final String YAML = """
            metrics:
              listen: "127.0.0.1:0"
            data-path:
              mtu: 1500
              capture:
                - interface: lan0
                  addresses: [192.0.2.1/25]
              uplinks:
                - interface: wan0
                  addresses: [198.51.100.1/28]
                - interface: wan1
                  addresses: [203.0.113.1/28]
              sink:
                interface: poolsa-sink
                type: ifb
            connections:
              site-b:
                mode: tunnel
                protocol: esp
                local-outer: [198.51.100.0/28, 203.0.113.0/28]
                remote-outer: [198.51.100.17/32, 203.0.113.17/32]
                local-protected: [192.0.2.0/25]
                remote-protected: [192.0.2.128/25]
                lifetime: {rekey-time: 3300, life-time: 3600}
                replay-window: 128
                manual:
                  spi-in: 0x00001001
                  spi-out: 0x00002001
                  encryption: aes-cbc
                  integrity: hmac-sha2-256-128
                  encryption-key-in: secrets/site-b.enc-in
                  encryption-key-out: secrets/site-b.enc-out
                  integrity-key-in: secrets/site-b.int-in
                  integrity-key-out: secrets/site-b.int-out
              site-c:
                local-outer: [198.51.100.1/32]
                remote-outer: [198.51.100.33/32, 198.51.100.48/28]
                local-protected: [192.0.2.0/26, 2001:db8:a::/48]
                remote-protected: [2001:db8:c::/48]
                ike-proposals: [aes128-sha256-modp2048]
                esp-proposals: [aes128gcm16-modp2048]
                start-action: start
                ike-lifetime: 3600
                authentication:
                  psk-file: secrets/site-c.psk
            """;
    /** The fixture with site-c keyed manually (AES-CBC + HMAC-SHA-256) instead of by IKE. */
    public static final String TWO_MANUAL = YAML.replace("""
                authentication:
                  psk-file: secrets/site-c.psk
            """, """
                reqid: 7
                manual:
                  spi-in: 0x00003001
                  spi-out: 0x00004001
                  encryption: aes-cbc
                  integrity: hmac-sha2-256-128
                  encryption-key-in: secrets/c.ein
                  encryption-key-out: secrets/c.eout
                  integrity-key-in: secrets/c.iin
                  integrity-key-out: secrets/c.iout
            """).replace("remote-outer: [198.51.100.33/32, 198.51.100.48/28]", "remote-outer: [198.51.100.33/32]")
            .replace("    ike-proposals: [aes128-sha256-modp2048]\n", "")
            .replace("    esp-proposals: [aes128gcm16-modp2048]\n", "")
            .replace("    start-action: start\n    ike-lifetime: 3600\n", "");


    /** Writes {@link #TWO_MANUAL} and all its secrets. */
    public static Path writeTwoManual(Path dir) throws IOException {
        write(dir);
        secret(dir, "secrets/c.ein", "00".repeat(16));
        secret(dir, "secrets/c.eout", "11".repeat(16));
        secret(dir, "secrets/c.iin", "22".repeat(32));
        secret(dir, "secrets/c.iout", "33".repeat(32));
        return writeYaml(dir, TWO_MANUAL);
    }
}

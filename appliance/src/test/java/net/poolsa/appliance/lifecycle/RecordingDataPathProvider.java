package net.poolsa.appliance.lifecycle;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Test double of the data path: records start, updates (reloads) and stop (and, when the system property
 * {@code poolsa.test.marker} names a file, writes "stopped" into it, so a test can see a child process
 * remove its diversion). Registered only on the class path of the child processes the tests start
 * (src/test/provider-services), so the in-process CLI tests see a build without a data path.
 */
public final class RecordingDataPathProvider implements DataPathProvider {
    public volatile DataPathContext context;
    public volatile boolean stopped;
    public final java.util.List<DataPathContext> updates = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public String name() {
        return "recording";
    }

    @Override
    public DataPath start(DataPathContext ctx) {
        this.context = ctx;
        return new DataPath() {
            @Override
            public void update(DataPathContext next) {
                updates.add(next);
            }

            @Override
            public void stop() {
                stopDataPath(ctx);
            }
        };
    }

    private void stopDataPath(DataPathContext ctx) {
        stopped = true;
        String marker = System.getProperty("poolsa.test.marker");
        if (marker != null) {
            try {
                Files.writeString(Path.of(marker), "stopped sas=" + ctx.kernel().listSas().size() + "\n");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}

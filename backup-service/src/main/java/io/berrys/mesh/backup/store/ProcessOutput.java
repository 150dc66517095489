package io.berrys.mesh.backup.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Keeps the last few KiB a tool wrote to stderr, read on a thread of its own so the tool never blocks on it. */
public final class ProcessOutput {

    private static final int KEEP = 4096;
    private final StringBuilder tail = new StringBuilder();
    private final Thread reader;

    public ProcessOutput(InputStream stream, String name) {
        reader = new Thread(
                () -> {
                    byte[] buffer = new byte[1024];
                    try (stream) {
                        for (int read; (read = stream.read(buffer)) >= 0; ) {
                            append(new String(buffer, 0, read, StandardCharsets.UTF_8));
                        }
                    } catch (IOException e) {
                        // the process is gone; what was read is kept
                    }
                },
                name + "-stderr");
        reader.setDaemon(true);
        reader.start();
    }

    private synchronized void append(String text) {
        tail.append(text);
        if (tail.length() > KEEP) {
            tail.delete(0, tail.length() - KEEP);
        }
    }

    /** What the tool said, trimmed, after it has exited. */
    public String text() throws InterruptedException {
        reader.join(5_000);
        synchronized (this) {
            return tail.toString().strip();
        }
    }
}

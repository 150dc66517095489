package io.berrys.mesh.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Looks for the run's secrets in text it produced: log files and stream entries. A secret shorter than
 * {@link #SHORTEST} characters is not looked for (the local PostgreSQL password "mesh" is also the name of
 * everything); {@link #skipped()} names those, so a report says what was not checked.
 */
final class SecretScan {

    static final int SHORTEST = 12;

    private final Map<String, String> secrets = new LinkedHashMap<>();
    private final List<String> skipped = new ArrayList<>();
    private final List<String> findings = new ArrayList<>();
    private long linesScanned;
    private int sources;

    /** A secret to look for, under a name that may be printed. */
    SecretScan secret(String name, String value) {
        if (value == null || value.length() < SHORTEST) {
            skipped.add(name);
        } else {
            secrets.put(name, value);
        }
        return this;
    }

    /** Every regular file below {@code directory} whose name ends with {@code .log}. */
    SecretScan logsUnder(Path directory) {
        if (!Files.isDirectory(directory)) {
            return this;
        }
        try (Stream<Path> files = Files.walk(directory)) {
            files.filter(Files::isRegularFile)
                    .filter(file -> file.getFileName().toString().endsWith(".log"))
                    .sorted()
                    .forEach(this::file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    SecretScan file(Path file) {
        try {
            // Logs may hold bytes that are not UTF-8; a secret is ASCII, so Latin-1 finds it all the same.
            lines(file.toString(), Files.readAllLines(file, StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    SecretScan lines(String source, List<String> lines) {
        sources++;
        for (int number = 0; number < lines.size(); number++) {
            String line = lines.get(number);
            for (Map.Entry<String, String> secret : secrets.entrySet()) {
                if (line.contains(secret.getValue())) {
                    findings.add(secret.getKey() + " in " + source + " line " + (number + 1));
                }
            }
        }
        linesScanned += lines.size();
        return this;
    }

    List<String> findings() {
        return findings;
    }

    List<String> skipped() {
        return skipped;
    }

    int secretsLookedFor() {
        return secrets.size();
    }

    long linesScanned() {
        return linesScanned;
    }

    int sources() {
        return sources;
    }
}

package io.berrys.mesh.migration;

import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Where a release's Flyway scripts are: {@code classpath:db/migration}, {@code filesystem:/path} (or a bare path),
 * or {@code s3://bucket/prefix} that CI uploaded, fetched into a temporary directory for the run.
 */
@ApplicationScoped
public class MigrationSets {

    /** A resolved set: the Flyway location, how to read a script of it, and what to clean up afterwards. */
    public record Resolved(String location, ScriptReader reader, Path temporary) implements AutoCloseable {
        @Override
        public void close() {
            if (temporary != null) {
                try (Stream<Path> files = Files.walk(temporary)) {
                    files.sorted(Comparator.reverseOrder())
                            .forEach(path -> path.toFile().delete());
                } catch (IOException e) {
                    // a temporary directory left behind is harmless
                }
            }
        }
    }

    /** Reads one script by the path Flyway reports for it. */
    public interface ScriptReader {
        String read(String script) throws IOException;
    }

    private final MigrationConfig config;

    public MigrationSets(MigrationConfig config) {
        this.config = config;
    }

    public Resolved resolve(String set) throws MigrationFailed {
        if (set.startsWith("classpath:")) {
            String base = set.substring("classpath:".length()).replaceAll("^/+|/+$", "");
            if (Thread.currentThread().getContextClassLoader().getResource(base) == null
                    && MigrationSets.class.getClassLoader().getResource(base) == null) {
                throw new MigrationFailed("the migration set " + set + " is not on the classpath");
            }
            return new Resolved(set, script -> classpathScript(base, script), null);
        }
        if (set.startsWith("s3://")) {
            URI uri;
            try {
                uri = URI.create(set);
            } catch (IllegalArgumentException e) {
                throw new MigrationFailed("the migration set " + set + " is not a valid s3:// address");
            }
            return fromS3(uri);
        }
        if (!set.startsWith("filesystem:") && !set.startsWith("/") && !set.startsWith(".")) {
            // The coordinator's default names a classpath directory, as Flyway's own default does.
            return resolve("classpath:" + set);
        }
        Path directory = Path.of(set.startsWith("filesystem:") ? set.substring("filesystem:".length()) : set);
        if (!Files.isDirectory(directory)) {
            throw new MigrationFailed("the migration set " + set + " is not a directory here");
        }
        return new Resolved("filesystem:" + directory.toAbsolutePath(), script -> read(directory, script), null);
    }

    private static String classpathScript(String base, String script) throws IOException {
        String path = script.startsWith(base) ? script : base + "/" + script;
        InputStream found = Thread.currentThread().getContextClassLoader().getResourceAsStream(path);
        if (found == null) {
            found = MigrationSets.class.getClassLoader().getResourceAsStream(path);
        }
        if (found == null) {
            throw new IOException("script " + path + " not found on the classpath");
        }
        try (InputStream in = found) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String read(Path directory, String script) throws IOException {
        Path path = Path.of(script);
        return Files.readString(path.isAbsolute() ? path : directory.resolve(script));
    }

    private Resolved fromS3(URI uri) throws MigrationFailed {
        String bucket = uri.getHost();
        if (bucket == null || bucket.isBlank()) {
            throw new MigrationFailed("the migration set " + uri + " names no bucket (s3://bucket/prefix/)");
        }
        // The set is what lies directly under the prefix, as a directory: releases/2.4 is not releases/2.40.
        String path = uri.getPath().replaceAll("^/+", "");
        String prefix = path.isEmpty() || path.endsWith("/") ? path : path + "/";
        Path directory;
        try {
            directory = Files.createTempDirectory("mesh-migrations-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Resolved resolved = new Resolved("filesystem:" + directory, script -> read(directory, script), directory);
        boolean complete = false;
        int fetched = 0;
        try (S3Client s3 = s3()) {
            for (var object : s3.listObjectsV2Paginator(
                            request -> request.bucket(bucket).prefix(prefix).delimiter("/"))
                    .contents()) {
                if (!object.key().endsWith(".sql")) {
                    continue;
                }
                Path target = directory.resolve(object.key().substring(prefix.length()));
                s3.getObject(request -> request.bucket(bucket).key(object.key()), target);
                fetched++;
            }
            if (fetched == 0) {
                throw new MigrationFailed("the migration set " + uri + " holds no .sql scripts directly under "
                        + (prefix.isEmpty() ? "the bucket" : prefix));
            }
            complete = true;
            return resolved;
        } catch (S3Exception e) {
            throw new MigrationFailed("cannot read the migration set " + uri + ": "
                    + (e.awsErrorDetails() == null
                            ? e.getMessage()
                            : e.awsErrorDetails().errorMessage()));
        } catch (software.amazon.awssdk.core.exception.SdkException e) {
            throw new MigrationFailed("cannot reach S3 for the migration set " + uri + ": " + e.getMessage());
        } finally {
            if (!complete) {
                resolved.close();
            }
        }
    }

    private S3Client s3() {
        var builder = S3Client.builder()
                .region(Region.of(config.s3().region()))
                .httpClientBuilder(ApacheHttpClient.builder());
        config.s3()
                .endpoint()
                .ifPresent(endpoint -> builder.endpointOverride(URI.create(endpoint))
                        .forcePathStyle(true)
                        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED));
        return builder.build();
    }
}

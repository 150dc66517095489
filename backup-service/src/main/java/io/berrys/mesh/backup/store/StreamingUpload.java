package io.berrys.mesh.backup.store;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;

/**
 * Streams an input of unknown length to one S3 object with a multipart upload, computing its SHA-256 on the way.
 * One part fills from the input while the previous one uploads, so the producer (pg_dump) is not held up by the
 * network; at most three parts are in memory. An upload that fails or is interrupted is aborted, so no partial
 * object is left behind.
 */
public final class StreamingUpload {

    /** The object written: its size and checksum. */
    public record Uploaded(long size, String sha256, int parts) {}

    private final S3Client s3;
    private final int partSize;

    public StreamingUpload(S3Client s3, int partSize) {
        if (partSize < 5 * 1024 * 1024) {
            throw new IllegalArgumentException("mesh.backup.s3.part-size must be at least 5 MiB (S3's minimum part)");
        }
        this.s3 = s3;
        this.partSize = partSize;
    }

    /**
     * Uploads everything {@code input} yields. {@code beforeComplete} runs after the input ended and before the
     * upload is completed; if it throws (the dump failed), the upload is aborted instead.
     */
    public Uploaded upload(
            String bucket,
            String key,
            Map<String, String> metadata,
            InputStream input,
            LongConsumer progress,
            Check beforeComplete)
            throws BackupFailed, InterruptedException {
        String uploadId = s3.createMultipartUpload(request -> request.bucket(bucket)
                        .key(key)
                        .contentType("application/octet-stream")
                        .metadata(metadata))
                .uploadId();
        ExecutorService uploader = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "s3-part-upload");
            thread.setDaemon(true);
            return thread;
        });
        boolean completed = false;
        try {
            MessageDigest sha256 = sha256();
            List<CompletedPart> parts = new ArrayList<>();
            byte[][] buffers = {new byte[partSize], new byte[partSize]};
            Future<CompletedPart> inFlight = null;
            long total = 0;
            int partNumber = 1;
            while (true) {
                byte[] buffer = buffers[partNumber % 2];
                int filled = readFully(input, buffer);
                if (filled == 0 && partNumber > 1) {
                    break;
                }
                sha256.update(buffer, 0, filled);
                total += filled;
                if (inFlight != null) {
                    parts.add(inFlight.get());
                }
                int number = partNumber;
                inFlight = uploader.submit(() -> {
                    String etag = s3.uploadPart(
                                    request -> request.bucket(bucket)
                                            .key(key)
                                            .uploadId(uploadId)
                                            .partNumber(number)
                                            .contentLength((long) filled),
                                    RequestBody.fromBytes(java.util.Arrays.copyOf(buffer, filled)))
                            .eTag();
                    return CompletedPart.builder().partNumber(number).eTag(etag).build();
                });
                progress.accept(total);
                partNumber++;
                if (filled < buffer.length) {
                    break;
                }
            }
            if (inFlight != null) {
                parts.add(inFlight.get());
            }
            beforeComplete.run();
            s3.completeMultipartUpload(request ->
                    request.bucket(bucket).key(key).uploadId(uploadId).multipartUpload(upload -> upload.parts(parts)));
            completed = true;
            return new Uploaded(total, HexFormat.of().formatHex(sha256.digest()), parts.size());
        } catch (IOException e) {
            throw new BackupFailed("reading the dump failed: " + e.getMessage(), e);
        } catch (ExecutionException e) {
            throw new BackupFailed(
                    "uploading to s3://" + bucket + "/" + key + " failed: "
                            + e.getCause().getMessage(),
                    e.getCause());
        } finally {
            uploader.shutdownNow();
            if (!completed) {
                abort(bucket, key, uploadId);
            }
        }
    }

    /** What must hold before the upload is completed; throwing aborts it. */
    public interface Check {
        void run() throws BackupFailed, InterruptedException;
    }

    private void abort(String bucket, String key, String uploadId) {
        try {
            s3.abortMultipartUpload(request -> request.bucket(bucket).key(key).uploadId(uploadId));
        } catch (RuntimeException e) {
            // The bucket's lifecycle rule removes incomplete uploads after a day.
            org.jboss.logging.Logger.getLogger(StreamingUpload.class)
                    .warnf("Could not abort the upload of s3://%s/%s: %s", bucket, key, e.getMessage());
        }
    }

    /** Fills the buffer unless the input ends first; returns how many bytes it holds. */
    private static int readFully(InputStream input, byte[] buffer) throws IOException {
        int filled = 0;
        while (filled < buffer.length) {
            int read = input.read(buffer, filled, buffer.length - filled);
            if (read < 0) {
                break;
            }
            filled += read;
        }
        return filled;
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}

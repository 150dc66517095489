package io.berrys.mesh.backup.store;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.function.LongConsumer;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;

/**
 * Streams an input of unknown length to one S3 object with a multipart upload, computing its SHA-256 on the way.
 * One part fills from the input while the previous one uploads, so the producer (pg_dump) is not held up by the
 * network; at most two parts are in memory. Part buffers start small and grow with the dump, so a small
 * database's backup needs little memory; buffers larger than {@link #SMALL_BUFFER} are drawn from a budget shared by
 * every upload of the process, so concurrent backups of large databases take turns instead of exhausting the heap.
 * An upload that fails or is interrupted is aborted, so no partial object is left behind.
 */
public final class StreamingUpload {

    /** The object written: its size and checksum. */
    public record Uploaded(long size, String sha256, int parts) {}

    /** Buffers up to this size are free; a dump that outgrows it waits for room in the shared budget. */
    static final int SMALL_BUFFER = 1024 * 1024;

    private static final int FIRST_BUFFER = 64 * 1024;

    private final S3Client s3;
    private final int partSize;
    private final Semaphore largeBuffers;

    /**
     * @param largeBuffers how many full-size part buffers the process may hold at once, shared by all uploads; an
     *     upload takes two together (its filling and its uploading part), so it needs at least two permits
     */
    public StreamingUpload(S3Client s3, int partSize, Semaphore largeBuffers) {
        if (partSize < 5 * 1024 * 1024) {
            throw new IllegalArgumentException("mesh.backup.s3.part-size must be at least 5 MiB (S3's minimum part)");
        }
        this.s3 = s3;
        this.partSize = partSize;
        this.largeBuffers = largeBuffers;
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
        Budget budget = new Budget();
        try {
            MessageDigest sha256 = sha256();
            List<CompletedPart> parts = new ArrayList<>();
            byte[][] buffers = {new byte[FIRST_BUFFER], new byte[FIRST_BUFFER]};
            Future<CompletedPart> inFlight = null;
            long total = 0;
            int partNumber = 1;
            while (true) {
                // The other buffer may still be uploading; this one's upload (two parts ago) has completed.
                int slot = partNumber % 2;
                Filled part = fill(input, buffers[slot], budget);
                buffers[slot] = part.buffer();
                byte[] buffer = part.buffer();
                int filled = part.length();
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
                                    RequestBody.fromContentProvider(
                                            () -> new ByteArrayInputStream(buffer, 0, filled),
                                            filled,
                                            "application/octet-stream"))
                            .eTag();
                    return CompletedPart.builder().partNumber(number).eTag(etag).build();
                });
                progress.accept(total);
                partNumber++;
                if (filled < partSize) {
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
            budget.release();
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

    private record Filled(byte[] buffer, int length) {}

    /**
     * Reads up to a part from the input into {@code buffer}, growing it (to at most the part size) as the input
     * keeps coming. The buffer returned may be a new, larger one.
     */
    private Filled fill(InputStream input, byte[] buffer, Budget budget) throws IOException, InterruptedException {
        int filled = 0;
        while (filled < partSize) {
            if (filled == buffer.length) {
                int grown = Math.min(partSize, buffer.length * 2);
                if (grown > SMALL_BUFFER) {
                    budget.acquire();
                }
                buffer = Arrays.copyOf(buffer, grown);
            }
            int read = input.read(buffer, filled, buffer.length - filled);
            if (read < 0) {
                break;
            }
            filled += read;
        }
        return new Filled(buffer, filled);
    }

    /** This upload's share of the process's large buffers: both of its buffers at once, so uploads cannot deadlock. */
    private final class Budget {
        private boolean held;

        void acquire() throws InterruptedException {
            if (!held) {
                largeBuffers.acquire(2);
                held = true;
            }
        }

        void release() {
            if (held) {
                largeBuffers.release(2);
                held = false;
            }
        }
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}

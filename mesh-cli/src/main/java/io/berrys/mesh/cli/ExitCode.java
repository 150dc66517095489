package io.berrys.mesh.cli;

/** Exit codes CI can branch on; documented in the mesh-cli README. */
public final class ExitCode {
    public static final int SUCCEEDED = 0;
    /** The API answered with an error, or could not be reached. */
    public static final int API_ERROR = 1;
    /** Bad command-line usage (picocli's own code), or a destroy off a terminal without --auto-approve. */
    public static final int USAGE = 2;
    /** {@code mesh env plan} or {@code drift}: the environment differs from its spec (Terraform's -detailed-exitcode). */
    public static final int CHANGES_PENDING = 2;

    public static final int FAILED = 10;
    public static final int ROLLED_BACK = 11;
    public static final int ABORTED = 12;
    /** --wait gave up before the release ended (--timeout). */
    public static final int TIMED_OUT = 13;

    private ExitCode() {}

    static int forState(String state) {
        return switch (state) {
            case "SUCCEEDED" -> SUCCEEDED;
            case "FAILED" -> FAILED;
            case "ROLLED_BACK" -> ROLLED_BACK;
            case "ABORTED" -> ABORTED;
            default -> TIMED_OUT;
        };
    }
}

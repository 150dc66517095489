package io.berrys.mesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MeshTest {

    private record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Mesh.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void missingOptionsAreAUsageErrorNamingThem() {
        Run run = run("release", "publish", "--env", "staging");
        assertEquals(ExitCode.USAGE, run.exit());
        assertTrue(run.err().contains("--service"), run.err());
        assertTrue(run.err().contains("--image"), run.err());
    }

    @Test
    void anUnreachableCoordinatorIsAnApiErrorAndTheTokenIsNotPrinted() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Run run = run("--url", "http://127.0.0.1:" + port, "--token", "s3cret-token", "release", "status", "rel-1");
        assertEquals(ExitCode.API_ERROR, run.exit());
        assertTrue(run.err().contains("cannot reach the coordinator"), run.err());
        assertTrue(!run.err().contains("s3cret-token") && !run.out().contains("s3cret-token"));
    }

    @Test
    void terminalStatesMapToDistinctExitCodes() {
        assertEquals(0, ExitCode.forState("SUCCEEDED"));
        assertEquals(10, ExitCode.forState("FAILED"));
        assertEquals(11, ExitCode.forState("ROLLED_BACK"));
        assertEquals(12, ExitCode.forState("ABORTED"));
    }
}

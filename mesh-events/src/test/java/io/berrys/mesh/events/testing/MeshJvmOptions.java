package io.berrys.mesh.events.testing;

import java.util.Arrays;
import java.util.List;

/**
 * The JVM options the mesh's services run with locally: {@code deploy/local/demo.sh}'s default {@code MESH_JAVA_OPTS}
 * (checked equal by {@code MeshJvmOptionsTest}). Tests that start a packaged service use them, so they exercise and
 * measure the footprint the mesh is meant to run with.
 */
public final class MeshJvmOptions {

    public static final List<String> DEMO = List.of(
            "-XX:+UseSerialGC",
            "-Xms32m",
            "-Xmx64m",
            "-XX:MaxNewSize=4m",
            "-XX:MinHeapFreeRatio=10",
            "-XX:MaxHeapFreeRatio=20",
            "-XX:MaxMetaspaceSize=128m",
            "-Xss256k",
            "-XX:ReservedCodeCacheSize=32m",
            "-XX:TieredStopAtLevel=1",
            "-XX:CICompilerCount=1",
            "-XX:CompileThresholdScaling=5",
            "-Dsun.reflect.inflationThreshold=2147483647",
            "-Dio.netty.allocator.numDirectArenas=1",
            "-Dio.netty.allocator.numHeapArenas=1");

    private MeshJvmOptions() {}

    /** {@code MESH_JAVA_OPTS} when it is set, as the demo honours it; otherwise {@link #DEMO}. */
    public static List<String> fromEnvironment() {
        String options = System.getenv("MESH_JAVA_OPTS");
        return options == null || options.isBlank()
                ? DEMO
                : Arrays.asList(options.trim().split("\\s+"));
    }
}

package io.berrys.mesh.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mesh}: the Berrys Deploy Mesh command line, for CI pipelines and people on call. */
@Command(
        name = "mesh",
        mixinStandardHelpOptions = true,
        version = "mesh 0.1.0",
        description = "Publish, follow and steer releases of the Berrys Deploy Mesh, and provision its environments.",
        subcommands = {ReleaseCommands.class, AdminCommands.class, EnvCommands.class})
public class Mesh {

    @Option(
            names = "--url",
            description = "Coordinator URL (env MESH_URL; default ${DEFAULT-VALUE})",
            defaultValue = "${env:MESH_URL:-http://127.0.0.1:8080}",
            scope = CommandLine.ScopeType.INHERIT)
    String url;

    @Option(
            names = "--token",
            description = "API token (env MESH_API_TOKEN); prefer the variable, arguments show up in process lists",
            defaultValue = "${env:MESH_API_TOKEN}",
            scope = CommandLine.ScopeType.INHERIT)
    String token;

    @Option(
            names = "--provisioner-url",
            description = "Provisioner URL, for 'mesh env' (env MESH_PROVISIONER_URL; default ${DEFAULT-VALUE})",
            defaultValue = "${env:MESH_PROVISIONER_URL:-http://127.0.0.1:8085}",
            scope = CommandLine.ScopeType.INHERIT)
    String provisionerUrl;

    MeshApi provisioner() {
        return new MeshApi(provisionerUrl, token, "the provisioner");
    }

    MeshApi api() {
        return new MeshApi(url, token);
    }

    public static CommandLine commandLine() {
        return new CommandLine(new Mesh()).setExecutionExceptionHandler((failure, commandLine, parseResult) -> {
            commandLine.getErr().println("mesh: " + failure.getMessage());
            return ExitCode.API_ERROR;
        });
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}

package io.berrys.mesh.events.redis;

import io.quarkus.arc.Unremovable;
import io.quarkus.redis.client.RedisOptionsCustomizer;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.redis.client.RedisOptions;
import jakarta.inject.Singleton;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Connects as the service's own Redis ACL user ({@code mesh.redis.user}, password in {@code quarkus.redis.password})
 * and, for {@code rediss://}, verifies that the server's certificate names its host and trusts the CA of {@code
 * mesh.redis.ca-file}, when set, instead of the JVM's trusted CAs. The Redis URL stays
 * the same for every service, so one ConfigMap serves them all and the credentials stay in each service's Secret.
 */
@Singleton
@Unremovable
public class ServiceRedisAccount implements RedisOptionsCustomizer {

    private static final Pattern USER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private final Optional<String> user;
    private final Optional<String> caFile;

    public ServiceRedisAccount(
            @ConfigProperty(name = "mesh.redis.user") Optional<String> user,
            @ConfigProperty(name = "mesh.redis.ca-file") Optional<String> caFile) {
        this.user = user.map(String::trim).filter(name -> !name.isEmpty());
        this.caFile = caFile.map(String::trim).filter(file -> !file.isEmpty());
    }

    @Override
    public void customize(String clientName, RedisOptions options) {
        user.ifPresent(name -> {
            if (!USER_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("mesh.redis.user (MESH_REDIS_USER) '" + name
                        + "' is not a Redis user name: letters, digits, '.', '_' and '-', at most 64");
            }
            List<String> endpoints = options.getEndpoints().stream()
                    .map(endpoint -> asUser(endpoint, name))
                    .toList();
            options.setEndpoints(endpoints);
        });
        caFile.ifPresent(file -> {
            if (!Files.isReadable(Path.of(file))) {
                throw new IllegalArgumentException(
                        "mesh.redis.ca-file (MESH_REDIS_CA_FILE) " + file + " is not a readable file");
            }
            options.getNetClientOptions().setTrustOptions(new PemTrustOptions().addCertPath(file));
        });
        if (options.getEndpoints().stream().anyMatch(endpoint -> endpoint.startsWith("rediss:"))) {
            // A certificate must also name the host connected to: trusting its CA alone does not tell servers apart.
            options.getNetClientOptions().setHostnameVerificationAlgorithm("HTTPS");
        }
    }

    /**
     * The endpoint as {@code user}, named in the {@code user} query parameter: the client reads a user-info without
     * a colon as a password, and a password in the URL would travel wherever the URL is printed. An endpoint that
     * names a user itself keeps it, as whoever wrote it meant.
     */
    public static String asUser(String endpoint, String user) {
        URI uri;
        try {
            uri = new URI(endpoint);
        } catch (URISyntaxException e) {
            // The URL is Quarkus's to reject, with its own message; the credentials must not be echoed here.
            return endpoint;
        }
        String query = uri.getRawQuery();
        boolean namesUser = uri.getRawUserInfo() != null
                || (query != null
                        && Pattern.compile("(^|&)user=").matcher(query).find());
        if (namesUser || uri.getScheme() == null || uri.getRawAuthority() == null) {
            return endpoint;
        }
        String parameter = "user=" + URLEncoder.encode(user, StandardCharsets.UTF_8);
        int fragment = endpoint.indexOf('#');
        String base = fragment < 0 ? endpoint : endpoint.substring(0, fragment);
        String rest = fragment < 0 ? "" : endpoint.substring(fragment);
        return base + (query == null ? "?" : "&") + parameter + rest;
    }
}

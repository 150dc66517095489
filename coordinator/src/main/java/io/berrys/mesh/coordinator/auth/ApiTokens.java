package io.berrys.mesh.coordinator.auth;

import io.berrys.mesh.coordinator.pipeline.CoordinatorConfig;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * The configured API tokens ({@code mesh.coordinator.tokens.<name>.secret|role|environments}). Only SHA-256 digests
 * of the secrets are kept, compared in constant time; secrets are never logged or echoed.
 */
@ApplicationScoped
@Startup
public class ApiTokens {

    private static final Logger LOG = Logger.getLogger(ApiTokens.class);

    private record Token(byte[] digest, Caller caller) {}

    private final List<Token> tokens = new ArrayList<>();

    public ApiTokens(CoordinatorConfig config) {
        config.tokens()
                .forEach((name, token) -> token.secret()
                        .filter(secret -> !secret.isBlank())
                        .ifPresent(secret -> tokens.add(new Token(
                                digest(secret),
                                new Caller(name, Role.parse(token.role(), name), Set.copyOf(token.environments()))))));
        if (tokens.isEmpty()) {
            LOG.warn("No API tokens are configured (mesh.coordinator.tokens.<name>.secret): the API answers 401");
        } else {
            LOG.infof(
                    "%d API tokens configured: %s",
                    tokens.size(), tokens.stream().map(t -> t.caller().name()).toList());
        }
    }

    public Optional<Caller> authenticate(String presented) {
        byte[] candidate = digest(presented);
        Caller match = null;
        for (Token token : tokens) {
            if (MessageDigest.isEqual(token.digest(), candidate)) {
                match = token.caller();
            }
        }
        return Optional.ofNullable(match);
    }

    private static byte[] digest(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

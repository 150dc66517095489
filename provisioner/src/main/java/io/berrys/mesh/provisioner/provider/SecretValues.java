package io.berrys.mesh.provisioner.provider;

import io.berrys.mesh.provisioner.model.Kind;
import io.berrys.mesh.provisioner.model.Resource;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

/** What every provider's secrets share: generated values and the URLs built from other resources. */
public final class SecretValues {

    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final SecureRandom RANDOM = new SecureRandom();

    private SecretValues() {}

    /** Letters and digits only, so the value needs no quoting in a URL, a shell or SQL. */
    public static String random(int length) {
        StringBuilder out = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            out.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return out.toString();
    }

    /** A user name or password as the user-information part of a URL. */
    public static String urlPart(String part) {
        return URLEncoder.encode(part, StandardCharsets.UTF_8);
    }

    /** The one resource of a kind among those a secret's URL is built from. */
    public static String source(Resource desired, Kind kind) {
        return desired.list("from").stream()
                .filter(id -> id.startsWith(kind.label() + "/"))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException(
                        desired.id() + " is built from a " + kind.label() + ", and names none in 'from'"));
    }
}

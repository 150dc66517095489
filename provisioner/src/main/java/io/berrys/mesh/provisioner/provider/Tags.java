package io.berrys.mesh.provisioner.provider;

import java.util.LinkedHashMap;
import java.util.Map;

/** The tags that make a resource findable without a state file. */
public final class Tags {

    public static final String ENVIRONMENT = "mesh.berrys.io/environment";
    public static final String LOGICAL_ID = "mesh.berrys.io/logical-id";
    public static final String PROTECT = "mesh.berrys.io/protect";

    /**
     * The logical id of the secret a resource was created with: its password or token is never read back, so only
     * this tag tells that the resource stands on the secret, and a destroy that keeps it keeps the secret too.
     */
    public static final String SECRET = "mesh.berrys.io/secret";

    private Tags() {}

    /** The tags of one resource; {@code Name} is what the AWS console shows. */
    public static Map<String, String> of(String environment, String logicalId, boolean protect) {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put(ENVIRONMENT, environment);
        tags.put(LOGICAL_ID, logicalId);
        tags.put("Name", "berrys-" + environment + "-" + logicalId.replace('/', '-'));
        if (protect) {
            tags.put(PROTECT, "true");
        }
        return tags;
    }
}

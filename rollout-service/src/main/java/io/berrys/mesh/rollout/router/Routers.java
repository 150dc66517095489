package io.berrys.mesh.rollout.router;

import io.berrys.mesh.rollout.kube.RolloutRejected;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** The routers by the name configuration uses. */
@ApplicationScoped
public class Routers {

    private final Map<String, TrafficRouter> byName = new TreeMap<>();

    public Routers(Instance<TrafficRouter> routers) {
        routers.forEach(router -> byName.put(router.name(), router));
    }

    public TrafficRouter named(String name) {
        TrafficRouter router = byName.get(name);
        if (router == null) {
            throw new RolloutRejected("unknown traffic router '" + name + "'; configure one of "
                    + byName.keySet().stream().collect(Collectors.joining(", ")));
        }
        return router;
    }
}

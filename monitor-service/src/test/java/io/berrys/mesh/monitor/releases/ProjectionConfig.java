package io.berrys.mesh.monitor.releases;

import io.berrys.mesh.monitor.MonitorConfig;
import java.lang.reflect.Proxy;
import java.time.Duration;

/** Configuration for a {@link LiveReleases} built by hand, outside Quarkus: the projection reads only this. */
public final class ProjectionConfig {

    private ProjectionConfig() {}

    public static MonitorConfig withRollbackWindow(Duration rollbackWindow) {
        return (MonitorConfig) Proxy.newProxyInstance(
                MonitorConfig.class.getClassLoader(), new Class<?>[] {MonitorConfig.class}, (proxy, method, args) -> {
                    if (method.getName().equals("rollbackWindow")) {
                        return rollbackWindow;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}

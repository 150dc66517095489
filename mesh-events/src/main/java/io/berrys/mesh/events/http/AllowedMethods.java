package io.berrys.mesh.events.http;

import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HEAD;
import jakarta.ws.rs.OPTIONS;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The HTTP methods each path of a service's resources answers, read from their annotations, for the {@code Allow}
 * header a 405 must carry (RFC 9110): a caller who used the wrong method learns the right ones.
 */
public final class AllowedMethods {

    private static final Map<Class<? extends Annotation>, String> VERBS = Map.of(
            GET.class, "GET",
            POST.class, "POST",
            PUT.class, "PUT",
            DELETE.class, "DELETE",
            PATCH.class, "PATCH",
            HEAD.class, "HEAD",
            OPTIONS.class, "OPTIONS");

    /** {@code literals}: the template's characters outside its {parameters}, by which JAX-RS ranks templates. */
    private record Route(Pattern path, int literals, Set<String> methods) {}

    private final List<Route> routes = new ArrayList<>();

    private AllowedMethods() {}

    public static AllowedMethods of(Class<?>... resources) {
        AllowedMethods allowed = new AllowedMethods();
        for (Class<?> resource : resources) {
            Path root = resource.getAnnotation(Path.class);
            String base = root == null ? "" : root.value();
            for (Method method : resource.getMethods()) {
                Path sub = method.getAnnotation(Path.class);
                String template = join(base, sub == null ? "" : sub.value());
                for (Map.Entry<Class<? extends Annotation>, String> verb : VERBS.entrySet()) {
                    if (method.isAnnotationPresent(verb.getKey())) {
                        allowed.add(template, verb.getValue());
                    }
                }
            }
        }
        return allowed;
    }

    private void add(String template, String method) {
        Pattern pattern =
                Pattern.compile(template.replaceAll("\\{[^}/]+}", "[^/]+").replace(".", "\\."));
        for (Route route : routes) {
            if (route.path.pattern().equals(pattern.pattern())) {
                route.methods.add(method);
                return;
            }
        }
        Set<String> methods = new TreeSet<>();
        methods.add(method);
        routes.add(new Route(pattern, template.replaceAll("\\{[^}/]+}", "").length(), methods));
    }

    /** The methods {@code path} answers (HEAD with GET, as JAX-RS does), or empty for a path no resource has. */
    public Optional<String> allow(String path) {
        Set<String> methods = new TreeSet<>();
        String normalised = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        // Only the most specific templates that match decide, as in JAX-RS's matching: /{id}/events, not
        // /{id}/{command}.
        int best = -1;
        for (Route route : routes) {
            if (route.path.matcher(normalised).matches()) {
                if (route.literals > best) {
                    best = route.literals;
                    methods.clear();
                }
                if (route.literals == best) {
                    methods.addAll(route.methods);
                }
            }
        }
        if (methods.contains("GET")) {
            methods.add("HEAD");
        }
        if (!methods.isEmpty()) {
            methods.add("OPTIONS");
        }
        return methods.isEmpty() ? Optional.empty() : Optional.of(String.join(", ", methods));
    }

    private static String join(String base, String sub) {
        String joined = ("/" + base + "/" + sub).replaceAll("/+", "/");
        return joined.length() > 1 && joined.endsWith("/") ? joined.substring(0, joined.length() - 1) : joined;
    }
}

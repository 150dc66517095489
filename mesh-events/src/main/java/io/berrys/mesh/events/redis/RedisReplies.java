package io.berrys.mesh.events.redis;

import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Parses stream command replies in both RESP2 (arrays) and RESP3 (maps) shapes. */
final class RedisReplies {

    private RedisReplies() {}

    /** XREADGROUP reply for a single stream: null (timeout) or the entries. */
    static List<StreamEntry> readGroupEntries(Response reply) {
        if (reply == null || reply.size() == 0) {
            return List.of();
        }
        Response entries;
        if (reply.isMap()) {
            entries = reply.get(reply.getKeys().iterator().next());
        } else {
            entries = reply.get(0).get(1);
        }
        return entries(entries);
    }

    /** XAUTOCLAIM reply: next cursor, claimed entries (deleted ones are already dropped by Redis 7). */
    static AutoClaim autoClaim(Response reply) {
        String cursor = reply.get(0).toString();
        List<StreamEntry> claimed = entries(reply.get(1));
        return new AutoClaim(cursor, claimed);
    }

    record AutoClaim(String nextCursor, List<StreamEntry> entries) {}

    static List<StreamEntry> entries(Response entries) {
        if (entries == null) {
            return List.of();
        }
        List<StreamEntry> result = new ArrayList<>(entries.size());
        for (Response entry : entries) {
            String id = entry.get(0).toString();
            Response fields = entry.size() > 1 ? entry.get(1) : null;
            result.add(new StreamEntry(id, fields == null ? null : fieldMap(fields)));
        }
        return result;
    }

    static Map<String, String> fieldMap(Response fields) {
        Map<String, String> map = new HashMap<>(Math.max(16, fields.size()));
        if (fields.isMap()) {
            for (String key : fields.getKeys()) {
                Response value = fields.get(key);
                map.put(key, value == null ? null : value.toString());
            }
        } else {
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                Response value = fields.get(i + 1);
                map.put(fields.get(i).toString(), value == null ? null : value.toString());
            }
        }
        return map;
    }

    /** XPENDING extended form: entry id → deliveries so far. */
    static Map<String, Integer> deliveryCounts(Response reply) {
        Map<String, Integer> counts = new HashMap<>();
        if (reply == null) {
            return counts;
        }
        for (Response pending : reply) {
            counts.put(pending.get(0).toString(), pending.get(3).toInteger());
        }
        return counts;
    }

    /** XINFO GROUPS: the named group's fields, or null when the group does not exist. */
    static Map<String, String> group(Response reply, String group) {
        if (reply == null) {
            return null;
        }
        for (Response info : reply) {
            Map<String, String> fields = fieldMap(info);
            if (group.equals(fields.get("name"))) {
                return fields;
            }
        }
        return null;
    }

    static long longOrZero(String value) {
        if (value == null || value.isEmpty()) {
            return 0;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}

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
            return new ArrayList<>();
        }
        Response entries;
        if (reply.isMap()) {
            entries = reply.get(reply.getKeys().iterator().next());
        } else {
            entries = reply.get(0).get(1);
        }
        return entries(entries);
    }

    /**
     * XAUTOCLAIM reply: next cursor, claimed entries, and (Redis 7) the ids of entries trimmed away while pending,
     * which Redis has removed from the pending list.
     */
    static AutoClaim autoClaim(Response reply) {
        String cursor = reply.get(0).toString();
        List<StreamEntry> claimed = entries(reply.get(1));
        List<String> deleted = new ArrayList<>();
        if (reply.size() > 2 && reply.get(2) != null) {
            reply.get(2).forEach(id -> deleted.add(id.toString()));
        }
        return new AutoClaim(cursor, claimed, deleted);
    }

    record AutoClaim(String nextCursor, List<StreamEntry> entries, List<String> deletedIds) {}

    static List<StreamEntry> entries(Response entries) {
        if (entries == null) {
            return List.of();
        }
        List<StreamEntry> result = new ArrayList<>(entries.size());
        for (Response entry : entries) {
            if (entry == null) {
                // Redis 6.2 answers XAUTOCLAIM with nil for an entry deleted while pending.
                continue;
            }
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

    /** Replies of {@code XPENDING key group id id 1}, one per entry: entry id → deliveries so far. */
    static Map<String, Integer> deliveryCounts(List<Response> replies) {
        Map<String, Integer> counts = new HashMap<>();
        for (Response reply : replies) {
            if (reply == null) {
                continue;
            }
            for (Response pending : reply) {
                counts.put(pending.get(0).toString(), pending.get(3).toInteger());
            }
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

    /** A numeric field, or {@code unknown} when Redis reports nil (XINFO's lag after entries were deleted). */
    static long longOr(String value, long unknown) {
        if (value == null || value.isEmpty()) {
            return unknown;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            return unknown;
        }
    }
}

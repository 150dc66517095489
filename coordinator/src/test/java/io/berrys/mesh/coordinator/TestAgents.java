package io.berrys.mesh.coordinator;

import io.berrys.mesh.events.EventCodec;
import io.berrys.mesh.events.EventSchema;
import io.berrys.mesh.events.EventType;
import io.berrys.mesh.events.Events;
import io.berrys.mesh.events.Phase;
import io.berrys.mesh.events.Streams;
import io.berrys.mesh.events.Task;
import io.berrys.mesh.events.catalog.Result;
import io.berrys.mesh.events.catalog.TaskFinished;
import io.berrys.mesh.events.catalog.TaskProgressed;
import io.berrys.mesh.events.catalog.TaskStarted;
import io.berrys.mesh.events.testing.LocalServers;
import io.cloudevents.CloudEvent;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The mesh's agents, played on the real streams: they read the coordinator's commands from {@code mesh.<task>} and
 * {@code mesh.priority} with a consumer group of their own and answer on the coordinator's transitions stream the
 * way each test scenario asks. Only releases registered here get answers.
 */
final class TestAgents implements AutoCloseable {

    enum Behaviour {
        PASS,
        /** Finishes twice: the second reply is a duplicate the coordinator must ignore. */
        PASS_TWICE,
        FAIL,
        /** Never answers. */
        SILENT,
        /** Says it started, then goes quiet. */
        START_THEN_SILENT,
        /** Works for a few seconds, reporting progress every 300 ms, then passes. */
        SLOW,
        /** Reports progress five times at once, then passes: the heartbeats that fill a real log. */
        HEARTBEATS,
        /**
         * Acts as if the first delivery of each command were lost, as a crashed Redis loses what it acknowledged in
         * its last second; a repeat of the command is answered with a pass.
         */
        LOST_ONCE
    }

    /** The test profile prefixes the coordinator's outgoing streams, keeping tests off the real ones. */
    static final String PREFIX = "it.coordinator.";
    /** Where the test profile's coordinator takes release requests and commands from. */
    static final String REQUESTS = PREFIX + Streams.COMMANDS;

    private final String prefix;
    private final List<String> commandStreams;

    private final Vertx vertx = Vertx.vertx();
    private final Redis redis = Redis.createClient(vertx, LocalServers.redisOptions());
    private final String replyStream;
    private final String group = "test-agents-" + UUID.randomUUID();
    private final Map<String, Map<Task, Behaviour>> scenarios = new ConcurrentHashMap<>();
    private final List<CloudEvent> received = new CopyOnWriteArrayList<>();
    private final List<CloudEvent> unclaimed = new ArrayList<>();
    /** Releases nobody registered: held until they are, or answered like this when set. */
    private volatile java.util.function.Function<CloudEvent, Behaviour> fallback;
    /** When the last finished of a release went out, and the gaps until its next command came back. */
    private final Map<String, Long> finishedAt = new ConcurrentHashMap<>();

    private final List<Long> stageGapsNanos = new CopyOnWriteArrayList<>();
    /** Redis's clock (entry ids, ms) when a release's last finished was written; and the gaps to the next command. */
    private final Map<String, Long> finishedEntryMillis = new ConcurrentHashMap<>();

    private final List<Long> coordinatorGapsNanos = new CopyOnWriteArrayList<>();
    private final Thread reader;
    /** Slow agents at work: stopped with the agents, so none writes to a closed client in a later test. */
    private final List<Thread> workers = new CopyOnWriteArrayList<>();

    private volatile boolean running = true;
    /** How long a passing task works before it finishes (benchmarks); zero answers at once. */
    private volatile long workMillis;

    private final ScheduledExecutorService finishers = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "test-agents-finishers");
        thread.setDaemon(true);
        return thread;
    });

    TestAgents(String replyStream) {
        this(PREFIX, replyStream);
    }

    /** Agents for a coordinator whose outgoing streams carry {@code prefix}. */
    TestAgents(String prefix, String replyStream) {
        this.prefix = prefix;
        this.replyStream = replyStream;
        this.commandStreams = List.of(
                prefix + Task.BACKUP.commandStream(),
                prefix + Task.MIGRATION.commandStream(),
                prefix + Task.ROLLOUT.commandStream(),
                prefix + Task.VERIFICATION.commandStream(),
                prefix + Task.DECOMMISSION.commandStream(),
                prefix + Streams.PRIORITY);
        for (String stream : commandStreams) {
            await(redis.send(Request.cmd(Command.XGROUP)
                    .arg("CREATE")
                    .arg(stream)
                    .arg(group)
                    .arg("$")
                    .arg("MKSTREAM")));
        }
        reader = new Thread(this::readLoop, "test-agents");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Registers a release; tasks not named pass. Commands that arrived before the test knew the release id (the
     * API triggers the first stage before it answers) are answered now.
     */
    synchronized void expect(String releaseId, Map<Task, Behaviour> behaviours) {
        scenarios.put(releaseId, new HashMap<>(behaviours));
        List<CloudEvent> early = unclaimed.stream()
                .filter(command -> releaseId.equals(Events.releaseId(command)))
                .toList();
        unclaimed.removeAll(early);
        early.forEach(this::handle);
    }

    private synchronized void arrived(String entryId, CloudEvent command) {
        String releaseId = Events.releaseId(command);
        Long finished = finishedAt.remove(releaseId);
        if (finished != null) {
            stageGapsNanos.add(System.nanoTime() - finished);
        }
        Long finishedWritten = finishedEntryMillis.remove(releaseId);
        if (finishedWritten != null) {
            coordinatorGapsNanos.add(TimeUnit.MILLISECONDS.toNanos(entryMillis(entryId) - finishedWritten));
        }
        if (scenarios.containsKey(releaseId)) {
            handle(command);
        } else if (fallback != null) {
            scenarios.put(releaseId, new HashMap<>());
            Behaviour behaviour = fallback.apply(command);
            if (behaviour != Behaviour.PASS) {
                scenarios.get(releaseId).put(EventType.parse(command.getType()).task(), behaviour);
            }
            handle(command);
        } else {
            unclaimed.add(command);
        }
    }

    /** Answers releases nobody registered with the behaviour the function picks (benchmarks). */
    void answerUnregistered(java.util.function.Function<CloudEvent, Behaviour> behaviour) {
        this.fallback = behaviour;
    }

    /**
     * Passing tasks work for a random time between half and one and a half of this before they finish, so
     * releases overlap the way real ones do instead of marching in step.
     */
    void workFor(Duration typical) {
        this.workMillis = typical.toMillis();
    }

    /** Time from each finished this agent sent to the next command of the same release arriving, and reset. */
    List<Long> drainStageGaps() {
        List<Long> gaps = List.copyOf(stageGapsNanos);
        stageGapsNanos.clear();
        return gaps;
    }

    /**
     * For finishes sent after a working time: milliseconds from Redis writing the finished to Redis writing the
     * next command of the release, both by Redis's clock (the stream entry ids). This is the coordinator's share
     * alone (reading, deciding, storing, writing), without the agent's own sending and reading. Whole
     * milliseconds, in nanoseconds like {@link #drainStageGaps()}. Reset.
     */
    List<Long> drainCoordinatorGaps() {
        List<Long> gaps = List.copyOf(coordinatorGapsNanos);
        coordinatorGapsNanos.clear();
        return gaps;
    }

    private static long entryMillis(String entryId) {
        return Long.parseLong(entryId.substring(0, entryId.indexOf('-')));
    }

    private void handle(CloudEvent command) {
        received.add(command);
        answer(command);
    }

    /** The commands the coordinator sent for a release, in the order they arrived. */
    List<CloudEvent> commandsFor(String releaseId) {
        return received.stream()
                .filter(e -> releaseId.equals(Events.releaseId(e)))
                .toList();
    }

    /** Whether an event of this type for this release was written to a stream (the test prefix added). */
    boolean wasWritten(String stream, String releaseId, String type) {
        return entryOf(stream, releaseId, type).isPresent();
    }

    /** The fields of the first entry of a stream (the test prefix added) with this type and release. */
    Optional<Map<String, String>> entryOf(String stream, String releaseId, String type) {
        Response entries = await(redis.send(
                Request.cmd(Command.XRANGE).arg(prefix + stream).arg("-").arg("+")));
        for (Response entry : entries) {
            Response fields = entry.get(1);
            Map<String, String> map = new HashMap<>();
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                map.put(fields.get(i).toString(), fields.get(i + 1).toString());
            }
            if (releaseId.equals(map.get("releaseid")) && type.equals(map.get("type"))) {
                return Optional.of(map);
            }
        }
        return Optional.empty();
    }

    /** Writes events onto the coordinator's stream in one pipeline, so they arrive together. */
    void writeAll(List<CloudEvent> events) {
        writeAll(replyStream, events);
    }

    /** Writes events onto {@code stream} in one pipeline. */
    void writeAll(String stream, List<CloudEvent> events) {
        List<Request> adds = new ArrayList<>();
        for (CloudEvent event : events) {
            Request add = Request.cmd(Command.XADD).arg(stream).arg("*");
            EventCodec.toFields(event).forEach((name, value) -> add.arg(name).arg(value));
            adds.add(add);
        }
        await(redis.batch(adds));
    }

    long triggeredCount(String releaseId, Task task) {
        return commandsFor(releaseId).stream()
                .filter(e -> e.getType().equals(task.type(Phase.TRIGGERED)))
                .count();
    }

    private void readLoop() {
        while (running) {
            try {
                Request read = Request.cmd(Command.XREADGROUP)
                        .arg("GROUP")
                        .arg(group)
                        .arg("agent-1")
                        .arg("COUNT")
                        .arg(100)
                        .arg("BLOCK")
                        .arg(200)
                        .arg("STREAMS");
                commandStreams.forEach(read::arg);
                commandStreams.forEach(stream -> read.arg(">"));
                Response reply = await(redis.send(read));
                for (Map.Entry<String, Map<String, String>> entry : entries(reply)) {
                    arrived(entry.getKey(), EventCodec.fromFields(entry.getValue(), EventSchema.MAX_ENTRY_BYTES));
                }
                sendReaderAnswers();
            } catch (RuntimeException e) {
                if (running) {
                    sleep(100);
                }
            }
        }
    }

    private void answer(CloudEvent command) {
        EventType type = EventType.parse(command.getType());
        Task task = type.task();
        Behaviour behaviour = scenarios.get(Events.releaseId(command)).getOrDefault(task, Behaviour.PASS);
        String agent = task.owner();
        if (behaviour == Behaviour.SILENT) {
            return;
        }
        if (behaviour == Behaviour.LOST_ONCE
                && received.stream()
                                .filter(seen -> seen.getId().equals(command.getId()))
                                .count()
                        == 1) {
            return;
        }
        send(Events.replyTo(command, Phase.STARTED, agent, new TaskStarted(task.id(), agent, null))
                .build());
        if (behaviour == Behaviour.START_THEN_SILENT) {
            return;
        }
        if (behaviour == Behaviour.SLOW) {
            Thread worker = new Thread(() -> {
                for (int beat = 0; beat < 15 && running; beat++) {
                    sleep(300);
                    send(Events.replyTo(
                                    command,
                                    Phase.PROGRESSED,
                                    agent,
                                    new TaskProgressed(task.id(), "working", null, null))
                            .build());
                }
                if (running) {
                    send(Events.replyTo(
                                    command,
                                    Phase.FINISHED,
                                    agent,
                                    new TaskFinished(task.id(), Result.PASS, "slow but done", null))
                            .build());
                }
            });
            worker.setDaemon(true);
            workers.add(worker);
            worker.start();
            return;
        }
        if (behaviour == Behaviour.HEARTBEATS) {
            for (int beat = 1; beat <= 5; beat++) {
                send(Events.replyTo(
                                command,
                                Phase.PROGRESSED,
                                agent,
                                new TaskProgressed(task.id(), "working", beat * 20, null))
                        .build());
            }
        }
        if (task == Task.ROLLOUT) {
            send(Events.replyTo(
                            command, Phase.PROGRESSED, agent, new TaskProgressed(task.id(), "traffic 100%", 100, null))
                    .build());
        }
        Result result = behaviour == Behaviour.FAIL ? Result.FAIL : Result.PASS;
        String message = result == Result.FAIL ? task.id() + " broke on purpose" : task.id() + " done";
        CloudEvent finished = Events.replyTo(
                        command, Phase.FINISHED, agent, new TaskFinished(task.id(), result, message, null))
                .build();
        long work = workMillis;
        if (work > 0 && (behaviour == Behaviour.PASS || behaviour == Behaviour.HEARTBEATS)) {
            long delay = work / 2 + ThreadLocalRandom.current().nextLong(work + 1);
            finishers.schedule(
                    () -> {
                        if (running) {
                            finishedAt.put(Events.releaseId(command), System.nanoTime());
                            String entryId = send(finished);
                            if (entryId != null) {
                                finishedEntryMillis.put(Events.releaseId(command), entryMillis(entryId));
                            }
                        }
                    },
                    delay,
                    TimeUnit.MILLISECONDS);
            return;
        }
        finishedAt.put(Events.releaseId(command), System.nanoTime());
        send(finished);
        if (behaviour == Behaviour.PASS_TWICE) {
            send(Events.replyTo(command, Phase.FINISHED, agent, new TaskFinished(task.id(), result, message, null))
                    .build());
        }
    }

    /** Answers decided while reading go out together after the read, so the agents never become the bottleneck. */
    private final List<Request> readerAnswers = new ArrayList<>();

    /** Writes the event; returns its entry id, or null when it goes out later with the reader's batch. */
    private String send(CloudEvent event) {
        Request add = Request.cmd(Command.XADD).arg(replyStream).arg("*");
        EventCodec.toFields(event).forEach((name, value) -> add.arg(name).arg(value));
        if (Thread.currentThread() == reader) {
            readerAnswers.add(add);
            return null;
        }
        return await(redis.send(add)).toString();
    }

    private void sendReaderAnswers() {
        if (!readerAnswers.isEmpty()) {
            List<Request> answers = new ArrayList<>(readerAnswers);
            readerAnswers.clear();
            await(redis.batch(answers));
        }
    }

    /**
     * XREADGROUP over several streams (RESP3 answers a map of stream → entries, RESP2 a list of pairs): each entry's
     * id and fields.
     */
    private static List<Map.Entry<String, Map<String, String>>> entries(Response reply) {
        List<Map.Entry<String, Map<String, String>>> result = new ArrayList<>();
        if (reply == null) {
            return result;
        }
        List<Response> perStream = new ArrayList<>();
        if (reply.isMap()) {
            reply.getKeys().forEach(key -> perStream.add(reply.get(key)));
        } else {
            reply.forEach(pair -> perStream.add(pair.get(1)));
        }
        for (Response entries : perStream) {
            for (Response entry : entries) {
                Response fields = entry.get(1);
                Map<String, String> map = new HashMap<>();
                if (fields.isMap()) {
                    fields.getKeys().forEach(key -> map.put(key, fields.get(key).toString()));
                } else {
                    for (int i = 0; i + 1 < fields.size(); i += 2) {
                        map.put(fields.get(i).toString(), fields.get(i + 1).toString());
                    }
                }
                result.add(Map.entry(entry.get(0).toString(), map));
            }
        }
        return result;
    }

    private static <T> T await(io.vertx.core.Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("Redis command failed: " + e.getMessage(), e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        finishers.shutdownNow();
        reader.join(2_000);
        for (Thread worker : workers) {
            worker.join(2_000);
        }
        for (String stream : commandStreams) {
            redis.send(Request.cmd(Command.XGROUP).arg("DESTROY").arg(stream).arg(group));
        }
        sleep(100);
        redis.close();
        vertx.close();
    }
}

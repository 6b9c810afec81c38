package dev.imcluster.broker.logic;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imcluster.broker.http.HttpServer.Reply;
import dev.imcluster.broker.http.HttpServer.Request;
import dev.imcluster.broker.mq.BusUnavailableException;
import dev.imcluster.broker.logging.RateLimitedLog;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * goim's HTTP API ({@code internal/logic/http}): the same paths, parameter names and reply shape
 * {@code {"code":0,"message":"","data":...}}. Unlike goim, errors also set the HTTP status: 400 for bad
 * parameters, 405 for a wrong method, 503 when the queue or session store cannot take the push (never 200).
 */
final class LogicHttpApi {

    private static final Logger log = LoggerFactory.getLogger(LogicHttpApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PushService push;
    private final OnlineService online;
    private final RateLimitedLog unavailableLog = new RateLimitedLog(log, 10, java.util.concurrent.TimeUnit.SECONDS);

    LogicHttpApi(PushService push, OnlineService online) {
        this.push = push;
        this.online = online;
    }

    CompletableFuture<Reply> handle(Request r) {
        try {
            return switch (r.path()) {
                case "/goim/push/keys" -> post(r, () -> push.pushKeys(operation(r), required(r, "keys"), r.body())
                        .thenApply(LogicHttpApi::accepted));
                case "/goim/push/mids" -> post(r, () -> push.pushMids(operation(r), mids(r), r.body())
                        .thenApply(LogicHttpApi::accepted));
                case "/goim/push/room" -> post(r, () -> push.pushRoom(operation(r),
                        roomId(single(r, "type"), single(r, "room")), r.body()).thenApply(LogicHttpApi::accepted));
                case "/goim/push/all" -> post(r, () -> push.pushAll(operation(r), speed(r), r.body())
                        .thenApply(LogicHttpApi::accepted));
                case "/goim/online/top" -> get(r, () -> online.top(single(r, "type"),
                        positiveInt(r, "limit")).thenApply(list -> list));
                case "/goim/online/room" -> get(r, () -> online.rooms(single(r, "type"), required(r, "rooms"))
                        .thenApply(m -> m));
                case "/goim/online/total" -> get(r, () -> online.totalConnections()
                        .thenApply(n -> Map.of("conn_count", n, "ip_count", n)));
                default -> done(error(404, "no such endpoint: " + r.path()));
            };
        } catch (BadRequest e) {
            return done(error(400, e.getMessage()));
        }
    }

    /**
     * What a push returns in {@code data} (goim returns null there, so goim clients ignore it): the id and position
     * of each message the queue accepted; key and mid pushes make one per comet, so they return a list.
     */
    private static Map<String, Object> accepted(PushService.Accepted a) {
        return Map.of("id", a.id(), "offset", a.position().offset(), "epoch", a.position().epoch());
    }

    private static List<Map<String, Object>> accepted(List<PushService.Accepted> all) {
        return all.stream().map(LogicHttpApi::accepted).toList();
    }

    private interface Call {
        CompletableFuture<?> run() throws BadRequest;
    }

    private CompletableFuture<Reply> post(Request r, Call call) throws BadRequest {
        if (!"POST".equals(r.method())) {
            return done(error(405, r.path() + " needs POST"));
        }
        return run(call);
    }

    private CompletableFuture<Reply> get(Request r, Call call) throws BadRequest {
        if (!"GET".equals(r.method())) {
            return done(error(405, r.path() + " needs GET"));
        }
        return run(call);
    }

    private CompletableFuture<Reply> run(Call call) throws BadRequest {
        return call.run().handle((data, error) -> error == null ? ok(data) : failure(error));
    }

    private Reply failure(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof BusUnavailableException) {
            unavailableLog.warn("push refused, queue unavailable: " + cause.getMessage());
            return error(503, "queue unavailable, message not accepted: " + cause.getMessage());
        }
        unavailableLog.warn("push failed: " + cause);
        return error(503, "push failed (session store or queue), message not accepted: " + cause);
    }

    private static Reply ok(Object data) {
        ObjectNode body = JSON.createObjectNode();
        body.put("code", 0);
        body.put("message", "");
        body.set("data", JSON.valueToTree(data));
        return Reply.json(200, body.toString());
    }

    static Reply error(int status, String message) {
        ObjectNode body = JSON.createObjectNode();
        body.put("code", -status);
        body.put("message", message);
        body.putNull("data");
        return Reply.json(status, body.toString());
    }

    private static int operation(Request r) throws BadRequest {
        return parseInt("operation", single(r, "operation"));
    }

    private static int speed(Request r) throws BadRequest {
        String speed = r.param("speed");
        if (speed == null || speed.isEmpty()) {
            return 0;
        }
        int n = parseInt("speed", speed);
        if (n < 0) {
            throw new BadRequest("speed must not be negative, got " + n);
        }
        return n;
    }

    private static int positiveInt(Request r, String name) throws BadRequest {
        int n = parseInt(name, single(r, name));
        if (n <= 0) {
            throw new BadRequest(name + " must be positive, got " + n);
        }
        return n;
    }

    private static List<Long> mids(Request r) throws BadRequest {
        List<Long> mids = new ArrayList<>();
        for (String mid : required(r, "mids")) {
            try {
                mids.add(Long.parseLong(mid.trim()));
            } catch (NumberFormatException e) {
                throw new BadRequest("mids must be integers, got '" + mid + "'");
            }
        }
        return mids;
    }

    /** goim's room key: {@code type://room}. */
    static String roomId(String type, String room) {
        return type + "://" + room;
    }

    private static String single(Request r, String name) throws BadRequest {
        String v = r.param(name);
        if (v == null || v.isEmpty()) {
            throw new BadRequest("missing required parameter '" + name + "'");
        }
        return v;
    }

    /** A repeated parameter (keys=a&keys=b); a comma-separated value is split too. */
    private static List<String> required(Request r, String name) throws BadRequest {
        List<String> values = new ArrayList<>();
        for (String v : r.params(name)) {
            for (String part : v.split(",")) {
                if (!part.isBlank()) {
                    values.add(part.trim());
                }
            }
        }
        if (values.isEmpty()) {
            throw new BadRequest("missing required parameter '" + name + "' (repeat it: " + name + "=a&" + name + "=b)");
        }
        return values;
    }

    private static int parseInt(String name, String value) throws BadRequest {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new BadRequest(name + " must be an integer, got '" + value + "'");
        }
    }

    private static CompletableFuture<Reply> done(Reply r) {
        return CompletableFuture.completedFuture(r);
    }

    static final class BadRequest extends Exception {
        BadRequest(String message) {
            super(message);
        }
    }
}

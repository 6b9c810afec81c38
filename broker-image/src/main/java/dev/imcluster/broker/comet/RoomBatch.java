package dev.imcluster.broker.comet;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.imcluster.broker.api.internal.RoomMessage;
import dev.imcluster.broker.api.pubsub.PresenceEvent;
import dev.imcluster.broker.api.pubsub.SubscribeResponse;
import dev.imcluster.broker.protocol.FrameCodec;
import dev.imcluster.broker.protocol.Op;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import dev.imcluster.broker.history.Publications;
import dev.imcluster.broker.session.Presence;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * The messages of one BroadcastRoom call, encoded ONCE as a single Raw (op 9) frame whose body holds one frame
 * per message (op = the message's operation). Every goim member gets a derived view of the same buffer; gRPC
 * subscribers get each message with its id, position, publish time and headers; goim members that opted in to
 * positions also get one POSITION_MARK frame, and MQTT members one buffer of PUBLISH packets per topic name, each
 * encoded once on first use. Presence events (see {@link Presence})
 * are left out of the Raw frame: only gRPC subscribers that asked for them get them.
 */
final class RoomBatch {
    final String room;
    /** The Raw frame: 16-byte header, then the inner frames. Released by {@link #release}. */
    final SharedFrame raw;
    final List<RoomMessage> messages;
    private final ByteBufAllocator alloc;
    /** How many of the messages are in {@link #raw} (all but presence events); goim clients get nothing when 0. */
    final int clientMessages;
    /** Which of the messages are presence events, decided once for all members. */
    private final boolean[] presenceEvents;
    /** The messages as serialized Subscribe responses, built once for all gRPC subscribers (single fan-out thread). */
    private List<byte[]> responses;
    /** The position of the last message, built once for all members that opted in (single fan-out thread). */
    private SharedFrame positionMark;
    private boolean positionMarkBuilt;
    /** The client messages as MQTT PUBLISH packets by topic name, per version, built once each on first use. */
    private Map<String, ByteBuf> mqtt5Deliveries;
    private Map<String, ByteBuf> mqtt3Deliveries;

    private RoomBatch(String room, SharedFrame raw, List<RoomMessage> messages, boolean[] presenceEvents,
                      int clientMessages, ByteBufAllocator alloc) {
        this.room = room;
        this.raw = raw;
        this.messages = messages;
        this.presenceEvents = presenceEvents;
        this.clientMessages = clientMessages;
        this.alloc = alloc;
    }

    static boolean isPresenceEvent(RoomMessage m) {
        return Presence.isEvent(m.getHeadersMap());
    }

    /** Whether message i is a presence event. */
    boolean presenceEvent(int i) {
        return presenceEvents[i];
    }

    /**
     * A presence event as a response: only {@code presence_event}, id and headers are set. It has no position,
     * so a subscriber never resumes from one (events are not in history).
     */
    private static SubscribeResponse presenceEvent(RoomMessage m) {
        SubscribeResponse.Builder r = SubscribeResponse.newBuilder().setId(m.getMsgId())
                .putAllHeaders(m.getHeadersMap());
        try {
            r.setPresenceEvent(PresenceEvent.parseFrom(m.getBody()));
        } catch (InvalidProtocolBufferException e) {
            r.setPresenceEvent(PresenceEvent.getDefaultInstance()); // type unspecified: not written by logic
        }
        return r.build();
    }

    List<byte[]> encodedResponses() {
        if (responses == null) {
            List<byte[]> list = new ArrayList<>(messages.size());
            for (int i = 0; i < messages.size(); i++) {
                RoomMessage m = messages.get(i);
                list.add((presenceEvents[i] ? presenceEvent(m) : Publications.response(m)).toByteArray());
            }
            responses = list;
        }
        return responses;
    }

    /** The POSITION_MARK following this batch; null when its messages carry no position (no epoch). */
    SharedFrame positionMark() {
        if (!positionMarkBuilt) {
            positionMarkBuilt = true;
            RoomMessage last = messages.get(messages.size() - 1);
            if (!last.getEpoch().isEmpty()) {
                positionMark = new SharedFrame(PositionFrames.mark(alloc, room, last.getOffset(), last.getEpoch()),
                        false, alloc);
            }
        }
        return positionMark;
    }

    /** A retained view of the client messages as QoS 0 PUBLISH packets on {@code topic} (MQTT 5 or 3.1.1). */
    ByteBuf mqttDeliveries(String topic, boolean v5) {
        // Keyed by the topic alone (no per-member key string): this runs once per MQTT member of the room.
        Map<String, ByteBuf> byTopic = v5 ? mqtt5Deliveries : mqtt3Deliveries;
        if (byTopic == null) {
            byTopic = new HashMap<>(2);
            if (v5) {
                mqtt5Deliveries = byTopic;
            } else {
                mqtt3Deliveries = byTopic;
            }
        }
        ByteBuf packets = byTopic.get(topic);
        if (packets == null) {
            List<ByteString> bodies = new ArrayList<>(clientMessages);
            for (int i = 0; i < messages.size(); i++) {
                if (!presenceEvents[i]) {
                    bodies.add(messages.get(i).getBody());
                }
            }
            packets = MqttPackets.deliveries(alloc, topic, v5, bodies);
            byTopic.put(topic, packets);
        }
        return packets.retainedDuplicate();
    }

    /** After the fan-out: every member holds its own views. */
    void release() {
        raw.release();
        if (mqtt5Deliveries != null) {
            mqtt5Deliveries.values().forEach(ByteBuf::release);
        }
        if (mqtt3Deliveries != null) {
            mqtt3Deliveries.values().forEach(ByteBuf::release);
        }
        if (positionMark != null) {
            positionMark.release();
        }
    }

    static RoomBatch encode(ByteBufAllocator alloc, String room, List<RoomMessage> messages) {
        List<RoomMessage> forClients = new ArrayList<>(messages.size());
        boolean[] presenceEvents = new boolean[messages.size()];
        for (int i = 0; i < messages.size(); i++) {
            RoomMessage m = messages.get(i);
            presenceEvents[i] = isPresenceEvent(m);
            if (!presenceEvents[i]) {
                forClients.add(m);
            }
        }
        return new RoomBatch(room, new SharedFrame(raw(alloc, forClients, RoomMessage::getOperation,
                RoomMessage::getBody), true, alloc), messages, presenceEvents, forClients.size(), alloc);
    }

    /** One Raw (op 9) frame holding one frame per item: op = its operation, body = its body. */
    static <T> ByteBuf raw(ByteBufAllocator alloc, List<T> items, ToIntFunction<T> operation,
                           Function<T, ByteString> body) {
        int bodyLen = 0;
        for (T m : items) {
            bodyLen += FrameCodec.HEADER_SIZE + body.apply(m).size();
        }
        ByteBuf raw = alloc.directBuffer(FrameCodec.HEADER_SIZE + bodyLen);
        FrameCodec.writeHeader(raw, bodyLen, 1, Op.RAW, 0);
        for (T m : items) {
            ByteString b = body.apply(m);
            FrameCodec.writeHeader(raw, b.size(), 1, operation.applyAsInt(m), 0);
            raw.writeBytes(b.asReadOnlyByteBuffer());
        }
        return raw;
    }
}

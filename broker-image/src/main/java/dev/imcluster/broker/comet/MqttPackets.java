package dev.imcluster.broker.comet;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdAndPropertiesVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttSubAckPayload;
import io.netty.handler.codec.mqtt.MqttVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** What {@link MqttConnection} sends, per protocol version, and the goim Auth body a CONNECT stands for. */
final class MqttPackets {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** MQTT 3.1.1's only SUBACK refusal (MQTT 5 says why, with its reason codes). */
    private static final int SUBACK_FAILURE_3 = 0x80;

    private MqttPackets() {
    }

    /**
     * The goim Auth body a CONNECT stands for: a password that is a JSON object is one already (mid, key, room_id,
     * token, as goim clients send it); any other password is the token, with the client id as key.
     */
    static ObjectNode authBody(byte[] password, String clientId) {
        if (password.length > 0 && password[0] == '{') {
            try {
                if (JSON.readTree(password) instanceof ObjectNode node) {
                    return node;
                }
            } catch (IOException e) {
                // not JSON after all: a token that starts with a brace, which logic will judge
            }
        }
        ObjectNode node = JSON.createObjectNode();
        if (!clientId.isEmpty()) {
            node.put("key", clientId);
        }
        if (password.length > 0) {
            node.put("token", new String(password, StandardCharsets.UTF_8));
        }
        return node;
    }

    /** logic's refusal of a CONNECT: bad credentials, not authorized, or logic unavailable. */
    static MqttConnAckMessage connRefused(MqttVersion version, Status.Code code) {
        boolean v5 = version == MqttVersion.MQTT_5;
        return connAck(switch (code) {
            case UNAUTHENTICATED, INVALID_ARGUMENT -> v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_BAD_USERNAME_OR_PASSWORD
                    : MqttConnectReturnCode.CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD;
            case PERMISSION_DENIED -> v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED_5
                    : MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED;
            default -> v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE_5
                    : MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE;
        });
    }

    static MqttConnAckMessage connAck(MqttConnectReturnCode code) {
        return MqttMessageBuilders.connAck().returnCode(code).build();
    }

    /** An accepted CONNECT; MQTT 5 clients are told what this server does not do, so that they never try it. */
    static MqttConnAckMessage connAccepted(MqttVersion version, int maxPacketSize, String assignedClientId) {
        MqttMessageBuilders.ConnAckBuilder ack = MqttMessageBuilders.connAck()
                .returnCode(MqttConnectReturnCode.CONNECTION_ACCEPTED).sessionPresent(false);
        if (version == MqttVersion.MQTT_5) {
            ack.properties(p -> {
                p.maximumQos((byte) 1).retainAvailable(false).wildcardSubscriptionAvailable(false)
                        .sharedSubscriptionAvailable(false).subscriptionIdentifiersAvailable(false)
                        .maximumPacketSize(maxPacketSize).topicAliasMaximum(0);
                if (assignedClientId != null) {
                    p.assignedClientId(assignedClientId);
                }
            });
        }
        return ack.build();
    }

    /** SUBACK's code for a refused filter: 0x80 for 3.1.1; MQTT 5's reason for a mapping refusal or null (denied). */
    static int subscribeRefused(MqttVersion version, MqttTopics.Refusal refusal) {
        if (version != MqttVersion.MQTT_5) {
            return SUBACK_FAILURE_3;
        }
        MqttReasonCodes.SubAck code = refusal == null ? MqttReasonCodes.SubAck.NOT_AUTHORIZED
                : refusal == MqttTopics.Refusal.WILDCARD ? MqttReasonCodes.SubAck.WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED
                : MqttReasonCodes.SubAck.TOPIC_FILTER_INVALID;
        return code.byteValue() & 0xFF;
    }

    static MqttSubAckMessage subAck(int packetId, int[] codes) {
        return new MqttSubAckMessage(new MqttFixedHeader(MqttMessageType.SUBACK, false, MqttQoS.AT_MOST_ONCE, false,
                0), new MqttMessageIdAndPropertiesVariableHeader(packetId, MqttProperties.NO_PROPERTIES),
                new MqttSubAckPayload(codes));
    }

    /**
     * Room messages as QoS 0 PUBLISH packets on {@code topic}, concatenated in one buffer: the bytes are the same for
     * every member that joined the room by that name, so a room batch encodes them once and each member gets a view.
     * QoS 0 carries no packet id; MQTT 5 adds an empty property list.
     */
    static ByteBuf deliveries(ByteBufAllocator alloc, String topic, boolean v5, List<ByteString> bodies) {
        byte[] name = topic.getBytes(StandardCharsets.UTF_8);
        int size = 0;
        for (ByteString body : bodies) {
            int remaining = remainingLength(name, v5, body);
            size += 1 + varIntSize(remaining) + remaining;
        }
        ByteBuf out = alloc.directBuffer(size);
        for (ByteString body : bodies) {
            out.writeByte(MqttMessageType.PUBLISH.value() << 4); // no DUP, QoS 0, no RETAIN
            writeVarInt(out, remainingLength(name, v5, body));
            out.writeShort(name.length).writeBytes(name);
            if (v5) {
                out.writeByte(0); // property length
            }
            out.writeBytes(body.asReadOnlyByteBuffer());
        }
        return out;
    }

    private static int remainingLength(byte[] name, boolean v5, ByteString body) {
        return 2 + name.length + (v5 ? 1 : 0) + body.size();
    }

    private static int varIntSize(int value) {
        int n = 1;
        while (value >= 128) {
            value >>>= 7;
            n++;
        }
        return n;
    }

    private static void writeVarInt(ByteBuf out, int value) {
        do {
            int digit = value & 0x7F;
            value >>>= 7;
            out.writeByte(value > 0 ? digit | 0x80 : digit);
        } while (value > 0);
    }
}

package net.poolsa.ike.message;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Our decoding of a message written the way tshark prints these fields ({@code -T fields -E occurrence=a
 * -E aggregator=,}), so that a row of tshark output and our view can be compared as strings. tshark walks
 * SA proposals and transforms as payloads of their own (types 2 and 3), depth first; so does this view.
 */
final class TsharkView {
    static final String[] FIELDS = {
        "isakmp.ispi", "isakmp.rspi", "isakmp.exchangetype", "isakmp.flags", "isakmp.messageid", "isakmp.length",
        "isakmp.typepayload", "isakmp.nextpayload", "isakmp.payloadlength", "isakmp.sa.doi", "isakmp.prop.number",
        "isakmp.prop.protoid", "isakmp.spisize", "isakmp.spi", "isakmp.prop.transforms", "isakmp.trans.number",
        "isakmp.trans.id", "isakmp.ike.attr.type", "isakmp.ike.attr.value", "isakmp.ipsec.attr.type",
        "isakmp.ipsec.attr.value", "isakmp.key_exchange.data", "isakmp.nonce", "isakmp.hash", "isakmp.sig",
        "isakmp.ike.nat_hash", "isakmp.vid_bytes", "isakmp.id.type", "isakmp.id.protoid", "isakmp.id.port",
        "isakmp.id.data.ipv4_addr", "isakmp.id.data.ipv4_subnet", "isakmp.id.data.fqdn", "isakmp.notify.msgtype",
        "isakmp.notify.data.dpd.are_you_there", "isakmp.notify.data.dpd.are_you_there_ack", "isakmp.delete.protoid",
        "isakmp.delete.spi", "isakmp.cert.encoding", "isakmp.certreq.type", "isakmp.ike.nat_original_address_ipv4",
    };

    private final Map<String, List<String>> values = new LinkedHashMap<>();

    private TsharkView() {
        for (String f : FIELDS) {
            values.put(f, new ArrayList<>());
        }
    }

    /** The row for {@code message}, sent as a datagram of {@code length} bytes. */
    static String row(IsakmpMessage message, int length) throws IkeProtocolException {
        TsharkView v = new TsharkView();
        IsakmpHeader h = message.header();
        v.add("isakmp.ispi", String.format("%016x", h.initiatorCookie()));
        v.add("isakmp.rspi", String.format("%016x", h.responderCookie()));
        v.add("isakmp.exchangetype", h.exchangeType().code());
        v.add("isakmp.flags", String.format("0x%02x", h.flags()));
        v.add("isakmp.messageid", String.format("0x%08x", h.messageId()));
        v.add("isakmp.length", length);
        v.add("isakmp.nextpayload", h.nextPayload().code());
        List<IsakmpPayload> payloads = message.payloads();
        for (int i = 0; i < payloads.size(); i++) {
            IsakmpPayload p = payloads.get(i);
            v.generic(p.type().code(), i + 1 < payloads.size() ? payloads.get(i + 1).type().code() : 0, p.encodedLength());
            v.payload(p);
        }
        List<String> cells = new ArrayList<>();
        for (List<String> c : v.values.values()) {
            cells.add(String.join(",", c));
        }
        return String.join("|", cells);
    }

    private void add(String field, Object value) {
        values.get(field).add(String.valueOf(value));
    }

    private void generic(int type, int next, int bodyLength) {
        add("isakmp.typepayload", type);
        add("isakmp.nextpayload", next);
        add("isakmp.payloadlength", IsakmpConstants.GENERIC_HEADER_LENGTH + bodyLength);
    }

    private void payload(IsakmpPayload p) throws IkeProtocolException {
        if (p instanceof SecurityAssociationPayload sa) {
            add("isakmp.sa.doi", sa.doi().code());
            for (int i = 0; i < sa.proposals().size(); i++) {
                Proposal pr = sa.proposals().get(i);
                generic(2, i + 1 < sa.proposals().size() ? 2 : 0, pr.encodedLength());
                add("isakmp.prop.number", pr.number());
                add("isakmp.prop.protoid", pr.protocol().code());
                add("isakmp.spisize", pr.spi().length());
                if (!pr.spi().isEmpty()) {
                    add("isakmp.spi", pr.spi());
                }
                add("isakmp.prop.transforms", pr.transforms().size());
                for (int j = 0; j < pr.transforms().size(); j++) {
                    Transform t = pr.transforms().get(j);
                    generic(3, j + 1 < pr.transforms().size() ? 3 : 0, t.encodedLength());
                    add("isakmp.trans.number", t.number());
                    add("isakmp.trans.id", t.transformId().code());
                    boolean ike = pr.protocol().equals(ProtocolId.ISAKMP);
                    for (DataAttribute a : t.attributes()) {
                        add(ike ? "isakmp.ike.attr.type" : "isakmp.ipsec.attr.type", a.type());
                        add(ike ? "isakmp.ike.attr.value" : "isakmp.ipsec.attr.value", a.value());
                    }
                }
            }
        } else if (p instanceof KeyExchangePayload ke) {
            add("isakmp.key_exchange.data", ke.data());
        } else if (p instanceof NoncePayload n) {
            add("isakmp.nonce", n.data());
        } else if (p instanceof HashPayload hash) {
            add("isakmp.hash", hash.data());
        } else if (p instanceof SignaturePayload sig) {
            add("isakmp.sig", sig.data());
        } else if (p instanceof NatDiscoveryPayload natd) {
            add("isakmp.ike.nat_hash", natd.hash());
        } else if (p instanceof NatOriginalAddressPayload oa) {
            // tshark files the NAT-OA's ID Type under the Identification payload's field.
            add("isakmp.id.type", oa.address().getAddress().length == 4 ? 1 : 5);
            add("isakmp.ike.nat_original_address_ipv4", oa.address().getHostAddress());
        } else if (p instanceof VendorIdPayload vid) {
            add("isakmp.vid_bytes", vid.data());
        } else if (p instanceof CertificatePayload cert) {
            add("isakmp.cert.encoding", cert.encoding().code());
        } else if (p instanceof CertificateRequestPayload cr) {
            add("isakmp.certreq.type", cr.encoding().code());
        } else if (p instanceof IdentificationPayload id) {
            add("isakmp.id.type", id.idType().code());
            add("isakmp.id.protoid", id.protocolId());
            add("isakmp.id.port", id.port());
            byte[] d = id.data();
            if (id.idType().equals(IdType.ID_IPV4_ADDR) || id.idType().equals(IdType.ID_IPV4_ADDR_SUBNET)) {
                add("isakmp.id.data.ipv4_addr", address(d, 0));
            }
            if (id.idType().equals(IdType.ID_IPV4_ADDR_SUBNET)) {
                add("isakmp.id.data.ipv4_subnet", address(d, 4));
            }
            if (id.idType().equals(IdType.ID_FQDN)) {
                add("isakmp.id.data.fqdn", id.name());
            }
        } else if (p instanceof NotificationPayload n) {
            add("isakmp.spisize", n.spi().length());
            if (!n.spi().isEmpty()) {
                add("isakmp.spi", n.spi());
            }
            add("isakmp.notify.msgtype", n.notifyType().code());
            if (n.notifyType().equals(NotifyType.R_U_THERE)) {
                add("isakmp.notify.data.dpd.are_you_there", Integer.toUnsignedString(n.dpdSequence()));
            } else if (n.notifyType().equals(NotifyType.R_U_THERE_ACK)) {
                add("isakmp.notify.data.dpd.are_you_there_ack", Integer.toUnsignedString(n.dpdSequence()));
            }
        } else if (p instanceof DeletePayload d) {
            add("isakmp.spisize", d.spiSize());
            add("isakmp.delete.protoid", d.protocol().code());
            for (Octets s : d.spis()) {
                add("isakmp.delete.spi", s);
            }
        }
    }

    private static String address(byte[] d, int off) {
        try {
            return InetAddress.getByAddress(java.util.Arrays.copyOfRange(d, off, off + 4)).getHostAddress();
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}

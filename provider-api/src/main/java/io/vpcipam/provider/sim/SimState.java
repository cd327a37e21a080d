package io.vpcipam.provider.sim;

import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.NetworkInterface;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The whole simulated VPC as plain mutable data: subnets with the addresses other tenants occupy, the instance,
 * and every interface (attached or leaked). Not thread-safe and never shared: {@link SimulatedCloud} copies it,
 * changes the copy, persists the copy and only then swaps it in, which is what makes every call all-or-nothing.
 *
 * <p>Which addresses are in use is never stored: it is recomputed from the reserved addresses, the other tenants
 * and the interfaces ({@link #used}), so the interfaces and the subnets cannot drift apart. With at most a few
 * dozen interfaces this costs microseconds.
 *
 * <p>The text form ({@link #toText()} / {@link #parse}) is the state-file format documented on
 * {@link SimulatedCloud}.
 *
 * <p>Why one class of some 400 lines: it is the state file's format and the invariants the copy-change-swap relies
 * on (which addresses are used, what a valid interface is), read and written in one place; half of it is the text
 * format, which must change together with the data it writes.
 */
final class SimState {

    static final String HEADER = "vpc-ipam-sim-state 1";

    Cidr vpc;
    String instanceId;
    String instanceType;
    String zone;
    long nextId = 1;
    /** Insertion ordered; the first is the node's subnet. */
    final Map<String, SimSubnet> subnets = new LinkedHashMap<>();
    /** Insertion ordered (creation order). */
    final Map<String, Eni> enis = new LinkedHashMap<>();

    /** A subnet and the addresses other tenants hold in it (offsets from the subnet's network address). */
    static final class SimSubnet {
        final String id;
        final Cidr cidr;
        final String zone;
        final BitSet foreign;

        SimSubnet(String id, Cidr cidr, String zone, BitSet foreign) {
            this.id = id;
            this.cidr = cidr;
            this.zone = zone;
            this.foreign = foreign;
        }

        int offset(Ipv4Address address) {
            return (int) (address.unsigned() - cidr.base().unsigned());
        }

        int size() {
            return (int) cidr.size();
        }
    }

    /** One interface; {@code deviceIndex} is {@link NetworkInterface#DETACHED} when attached to no instance. */
    static final class Eni {
        String id;
        String mac;
        String subnetId;
        int deviceIndex;
        int networkCard; // 0 unless a test control attached it through another card
        Ipv4Address primary;
        Instant createdAt;
        String description = "";
        final List<Ipv4Address> secondaries = new ArrayList<>();
        final List<Cidr> prefixes = new ArrayList<>();
        final Map<String, String> tags = new TreeMap<>();

        Eni copy() {
            Eni c = new Eni();
            c.id = id;
            c.mac = mac;
            c.subnetId = subnetId;
            c.deviceIndex = deviceIndex;
            c.networkCard = networkCard;
            c.primary = primary;
            c.createdAt = createdAt;
            c.description = description;
            c.secondaries.addAll(secondaries);
            c.prefixes.addAll(prefixes);
            c.tags.putAll(tags);
            return c;
        }

        boolean attached() {
            return deviceIndex != NetworkInterface.DETACHED;
        }

        int usedSlots() {
            return secondaries.size() + prefixes.size();
        }

        NetworkInterface view() {
            return new NetworkInterface(id, mac, deviceIndex, subnetId, primary, secondaries, prefixes, tags,
                    networkCard);
        }

        /** Whether ipamd may use it (see {@link NetworkInterface#exclusion()}). */
        boolean usable() {
            return networkCard == 0 && !NetworkInterface.noManage(tags);
        }
    }

    SimState copy() {
        SimState c = new SimState();
        c.vpc = vpc;
        c.instanceId = instanceId;
        c.instanceType = instanceType;
        c.zone = zone;
        c.nextId = nextId;
        subnets.values().forEach(s -> c.subnets.put(s.id, new SimSubnet(s.id, s.cidr, s.zone, (BitSet) s.foreign.clone())));
        enis.values().forEach(e -> c.enis.put(e.id, e.copy()));
        return c;
    }

    SimSubnet nodeSubnet() {
        return subnets.values().iterator().next();
    }

    // ---- address bookkeeping ----

    /** Every address of {@code subnet} that is not free: AWS-reserved, other tenants', and any interface's. */
    BitSet used(SimSubnet subnet) {
        BitSet used = (BitSet) subnet.foreign.clone();
        int size = subnet.size();
        // AWS reserves the network address, .1 (router), .2 (DNS), .3 (future use) and the broadcast address
        used.set(0, Math.min(4, size));
        used.set(size - 1);
        for (Eni eni : enis.values()) {
            if (eni.subnetId.equals(subnet.id)) {
                used.set(subnet.offset(eni.primary));
                eni.secondaries.forEach(a -> used.set(subnet.offset(a)));
                eni.prefixes.forEach(p -> used.set(subnet.offset(p.base()), subnet.offset(p.base()) + (int) p.size()));
            }
        }
        return used;
    }

    /** Takes the {@code n} lowest free addresses, marking them in {@code used}; all or none. */
    static List<Ipv4Address> takeAddresses(SimSubnet subnet, BitSet used, int n) throws CloudException {
        List<Ipv4Address> taken = new ArrayList<>(n);
        int i = used.nextClearBit(0);
        while (taken.size() < n && i < subnet.size()) {
            taken.add(subnet.cidr.address(i));
            i = used.nextClearBit(i + 1);
        }
        if (taken.size() < n) {
            throw new CloudException.CapacityExhausted("InsufficientFreeAddressesInSubnet",
                    "subnet " + subnet.id + " (" + subnet.cidr + ") has " + taken.size() + " free addresses, " + n
                            + " asked", CloudException.CapacityExhausted.Scope.SUBNET, taken.size());
        }
        taken.forEach(a -> used.set(subnet.offset(a)));
        return taken;
    }

    /** Takes the {@code n} lowest aligned blocks of {@code length} with no address in use; all or none. */
    static List<Cidr> takePrefixes(SimSubnet subnet, BitSet used, int n, int length) throws CloudException {
        int blockSize = 1 << (32 - length);
        List<Cidr> taken = new ArrayList<>(n);
        for (int start = 0; taken.size() < n && start + blockSize <= subnet.size(); start += blockSize) {
            int next = used.nextSetBit(start);
            if (next < 0 || next >= start + blockSize) {
                taken.add(new Cidr(subnet.cidr.address(start), length));
            }
        }
        if (taken.size() < n) {
            throw new CloudException.CapacityExhausted("InsufficientCidrBlocks",
                    "subnet " + subnet.id + " (" + subnet.cidr + ") has " + taken.size() + " free aligned /" + length
                            + " blocks, " + n + " asked", CloudException.CapacityExhausted.Scope.SUBNET);
        }
        taken.forEach(p -> used.set(subnet.offset(p.base()), subnet.offset(p.base()) + blockSize));
        return taken;
    }

    String newId(String prefix) {
        return prefix + String.format("%013x", nextId++);
    }

    /**
     * Refuses a new subnet {@code cidr} of {@code vpc} that EC2 would refuse: outside the VPC, not /16 to /28, or
     * overlapping one of {@code existing}. Used by both simulators when they lay out their subnets.
     */
    static void checkNewSubnet(Cidr vpc, Cidr cidr, Collection<SimSubnet> existing) {
        if (!vpc.contains(cidr)) {
            throw new IllegalArgumentException("subnet " + cidr + " is outside the VPC " + vpc);
        }
        if (cidr.length() < 16 || cidr.length() > 28) {
            throw new IllegalArgumentException("subnet " + cidr + ": EC2 subnets are /16 to /28");
        }
        for (SimSubnet other : existing) {
            if (other.cidr.overlaps(cidr)) {
                throw new IllegalArgumentException("subnet " + cidr + " overlaps " + other.id + " " + other.cidr);
            }
        }
    }

    /**
     * A new, detached interface {@code id} in {@code subnetId}, its MAC derived from {@code serial} (the id
     * counter's value the id was made from), created at {@code now}; the caller sets its addresses.
     */
    static Eni newEni(String id, long serial, String subnetId, Instant now) {
        Eni e = new Eni();
        e.id = id;
        e.mac = String.format("02:51:4d:%02x:%02x:%02x", (serial >> 16) & 0xff, (serial >> 8) & 0xff, serial & 0xff);
        e.subnetId = subnetId;
        e.deviceIndex = NetworkInterface.DETACHED;
        e.createdAt = now;
        return e;
    }

    // ---- text form ----

    String toText() {
        StringBuilder out = new StringBuilder(4096);
        out.append(HEADER).append('\n');
        out.append("vpc ").append(vpc).append('\n');
        out.append("instance ").append(instanceId).append(' ').append(instanceType).append(' ').append(zone).append('\n');
        out.append("next-id ").append(nextId).append('\n');
        for (SimSubnet s : subnets.values()) {
            out.append("subnet ").append(s.id).append(' ').append(s.cidr).append(' ').append(s.zone).append('\n');
            BitSet f = s.foreign;
            for (int from = f.nextSetBit(0); from >= 0; ) {
                int to = f.nextClearBit(from);  // exclusive
                out.append("occupied ").append(s.id).append(' ').append(s.cidr.address(from));
                if (to - 1 > from) {
                    out.append('-').append(s.cidr.address(to - 1));
                }
                out.append('\n');
                from = f.nextSetBit(to);
            }
        }
        for (Eni e : enis.values()) {
            out.append("eni ").append(e.id).append(' ').append(e.mac).append(' ').append(e.subnetId).append(' ')
                    .append(e.attached() ? Integer.toString(e.deviceIndex) : "detached").append(' ')
                    .append(e.primary).append(' ').append(e.createdAt).append('\n');
            if (e.networkCard != 0) {
                out.append("card ").append(e.id).append(' ').append(e.networkCard).append('\n');
            }
            if (!e.description.isEmpty()) {
                out.append("description ").append(e.id).append(' ').append(enc(e.description)).append('\n');
            }
            e.tags.forEach((k, v) -> out.append("tag ").append(e.id).append(' ').append(enc(k)).append(' ')
                    .append(enc(v)).append('\n'));
            for (Ipv4Address a : e.secondaries) {
                out.append("address ").append(e.id).append(' ').append(a).append('\n');
            }
            for (Cidr p : e.prefixes) {
                out.append("prefix ").append(e.id).append(' ').append(p).append('\n');
            }
        }
        out.append("end\n");
        return out.toString();
    }

    /**
     * Parses and validates a state file's lines. Anything unexpected (unknown record, missing trailer, an address
     * outside its subnet or held twice) is an IllegalArgumentException saying which line; the caller names the file.
     */
    static SimState parse(List<String> lines) {
        if (lines.isEmpty() || !lines.getFirst().equals(HEADER)) {
            throw new IllegalArgumentException("first line is not '" + HEADER + "'");
        }
        if (!lines.getLast().equals("end")) {
            throw new IllegalArgumentException("last line is not 'end' (truncated?)");
        }
        SimState st = new SimState();
        for (int n = 1; n < lines.size() - 1; n++) {
            String line = lines.get(n);
            String[] f = line.split(" ", -1);
            try {
                switch (f[0]) {
                    case "vpc" -> {
                        fields(f, 2);
                        st.vpc = Cidr.parse(f[1]);
                    }
                    case "instance" -> {
                        fields(f, 4);
                        st.instanceId = f[1];
                        st.instanceType = f[2];
                        st.zone = f[3];
                    }
                    case "next-id" -> {
                        fields(f, 2);
                        st.nextId = Long.parseLong(f[1]);
                    }
                    case "subnet" -> {
                        fields(f, 4);
                        Cidr cidr = Cidr.parse(f[2]);
                        if (st.subnets.containsKey(f[1])) {
                            throw new IllegalArgumentException("duplicate subnet " + f[1]);
                        }
                        st.subnets.put(f[1], new SimSubnet(f[1], cidr, f[3], new BitSet()));
                    }
                    case "occupied" -> {
                        fields(f, 3);
                        SimSubnet s = subnet(st, f[1]);
                        String[] range = f[2].split("-", -1);
                        Ipv4Address from = Ipv4Address.parse(range[0]);
                        Ipv4Address to = range.length > 1 ? Ipv4Address.parse(range[1]) : from;
                        if (range.length > 2 || !s.cidr.contains(from) || !s.cidr.contains(to) || to.compareTo(from) < 0) {
                            throw new IllegalArgumentException("bad range " + f[2] + " for " + s.cidr);
                        }
                        s.foreign.set(s.offset(from), s.offset(to) + 1);
                    }
                    case "eni" -> {
                        fields(f, 7);
                        Eni e = new Eni();
                        e.id = f[1];
                        e.mac = f[2];
                        e.subnetId = subnet(st, f[3]).id;
                        e.deviceIndex = f[4].equals("detached") ? NetworkInterface.DETACHED : Integer.parseInt(f[4]);
                        e.primary = Ipv4Address.parse(f[5]);
                        e.createdAt = Instant.parse(f[6]);
                        if (st.enis.putIfAbsent(e.id, e) != null) {
                            throw new IllegalArgumentException("duplicate interface " + e.id);
                        }
                    }
                    case "card" -> {
                        fields(f, 3);
                        int card = Integer.parseInt(f[2]);
                        if (card < 1) {
                            throw new IllegalArgumentException("network card must be >= 1 (0 is not written)");
                        }
                        eni(st, f[1]).networkCard = card;
                    }
                    case "description" -> {
                        fields(f, 3);
                        eni(st, f[1]).description = dec(f[2]);
                    }
                    case "tag" -> {
                        fields(f, 4);
                        eni(st, f[1]).tags.put(dec(f[2]), dec(f[3]));
                    }
                    case "address" -> {
                        fields(f, 3);
                        eni(st, f[1]).secondaries.add(Ipv4Address.parse(f[2]));
                    }
                    case "prefix" -> {
                        fields(f, 3);
                        eni(st, f[1]).prefixes.add(Cidr.parse(f[2]));
                    }
                    default -> throw new IllegalArgumentException("unknown record '" + f[0] + "'");
                }
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("line " + (n + 1) + " '" + line + "': " + e.getMessage(), e);
            }
        }
        st.validate();
        return st;
    }

    /** Checks the invariants the sim relies on; a violation means the file was edited or is not ours. */
    void validate() {
        if (vpc == null || instanceId == null || subnets.isEmpty()) {
            throw new IllegalArgumentException("vpc, instance or subnet record missing");
        }
        InstanceTypes.limits(instanceType);
        Map<Long, String> devices = new TreeMap<>(); // card << 32 | device index: indexes are numbered per card
        for (Eni e : enis.values()) {
            if (!e.attached() && e.networkCard != 0) {
                throw new IllegalArgumentException(e.id + " is detached but names network card " + e.networkCard);
            }
            if (e.attached() && devices.put(((long) e.networkCard << 32) | e.deviceIndex, e.id) != null) {
                throw new IllegalArgumentException("device index " + e.deviceIndex + " used twice on network card "
                        + e.networkCard);
            }
        }
        if (!devices.containsKey(0L)) {
            throw new IllegalArgumentException("the instance has no primary interface (device index 0)");
        }
        for (SimSubnet s : subnets.values()) {
            if (!vpc.contains(s.cidr)) {
                throw new IllegalArgumentException("subnet " + s.id + " " + s.cidr + " is outside the VPC " + vpc);
            }
            BitSet seen = (BitSet) s.foreign.clone();
            seen.set(0, Math.min(4, s.size()));
            seen.set(s.size() - 1);
            for (Eni e : enis.values()) {
                if (!e.subnetId.equals(s.id)) {
                    continue;
                }
                List<Cidr> blocks = new ArrayList<>();
                blocks.add(new Cidr(e.primary, 32));
                e.secondaries.forEach(a -> blocks.add(new Cidr(a, 32)));
                blocks.addAll(e.prefixes);
                for (Cidr b : blocks) {
                    if (!s.cidr.contains(b)) {
                        throw new IllegalArgumentException(e.id + " holds " + b + " outside its subnet " + s.cidr);
                    }
                    int from = s.offset(b.base());
                    int to = from + (int) b.size();
                    int clash = seen.nextSetBit(from);
                    if (clash >= 0 && clash < to) {
                        throw new IllegalArgumentException(e.id + " holds " + b + ", but " + s.cidr.address(clash)
                                + " is reserved or held elsewhere");
                    }
                    seen.set(from, to);
                }
            }
        }
    }

    private static void fields(String[] f, int n) {
        if (f.length != n) {
            throw new IllegalArgumentException("expected " + n + " fields, found " + f.length);
        }
    }

    private static SimSubnet subnet(SimState st, String id) {
        SimSubnet s = st.subnets.get(id);
        if (s == null) {
            throw new IllegalArgumentException("unknown subnet " + id);
        }
        return s;
    }

    private static Eni eni(SimState st, String id) {
        Eni e = st.enis.get(id);
        if (e == null) {
            throw new IllegalArgumentException("unknown interface " + id);
        }
        return e;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String dec(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }
}

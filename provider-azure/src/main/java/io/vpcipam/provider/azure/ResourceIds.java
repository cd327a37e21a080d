package io.vpcipam.provider.azure;

import java.util.Locale;

/**
 * ARM resource ids ({@code /subscriptions/s/resourceGroups/rg/providers/Ns/type/name[/childType/child]}): the parts
 * the provider needs. ARM compares ids case-insensitively, and so does {@link #same}.
 */
final class ResourceIds {

    private ResourceIds() {
    }

    /** The value after {@code key} (case-insensitive), or throws IllegalArgumentException. */
    static String segment(String id, String key) {
        String[] parts = parts(id);
        for (int i = 0; i + 1 < parts.length; i++) {
            if (parts[i].equalsIgnoreCase(key)) {
                return parts[i + 1];
            }
        }
        throw new IllegalArgumentException("'" + id + "' has no " + key + " segment");
    }

    /** The resource group of an id. */
    static String resourceGroup(String id) {
        return segment(id, "resourceGroups");
    }

    /** The last segment: the resource's own name. */
    static String name(String id) {
        String[] parts = parts(id);
        return parts[parts.length - 1];
    }

    /** The parent's id: a subnet's virtual network. */
    static String parent(String id) {
        String trimmed = id.endsWith("/") ? id.substring(0, id.length() - 1) : id;
        int last = trimmed.lastIndexOf('/');
        int type = last > 0 ? trimmed.lastIndexOf('/', last - 1) : -1;
        if (type <= 0) {
            throw new IllegalArgumentException("'" + id + "' has no parent");
        }
        return trimmed.substring(0, type);
    }

    /** Whether two ids name the same resource. */
    static boolean same(String a, String b) {
        return a != null && b != null && key(a).equals(key(b));
    }

    /** A canonical map key for an id. */
    static String key(String id) {
        String t = id.endsWith("/") ? id.substring(0, id.length() - 1) : id;
        return t.toLowerCase(Locale.ROOT);
    }

    private static String[] parts(String id) {
        if (id == null || !id.startsWith("/subscriptions/")) {
            throw new IllegalArgumentException("not an ARM resource id: '" + id + "'");
        }
        String[] parts = id.substring(1).split("/");
        for (String p : parts) {
            if (p.isEmpty()) {
                throw new IllegalArgumentException("not an ARM resource id: '" + id + "'");
            }
        }
        return parts;
    }
}

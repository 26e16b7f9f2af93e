package chorus.ws;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A client address in the one form its budgets are kept under, however it was spelled: IPv4 in
 * dotted decimal (IPv4-mapped IPv6 included), and IPv6 as its /64 ("2001:db8:1:2::/64"), since one
 * subscriber commonly holds a whole /64. Never a DNS lookup: only literals are parsed.
 */
public final class ClientAddress {
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    private ClientAddress() {
    }

    /**
     * Who is asking, in canonical form: the peer, or behind a trusted proxy (Heroku's router) the
     * last X-Forwarded-For entry, the one the proxy appended; earlier entries are the client's to
     * forge. Null when that entry is not an address.
     */
    public static String of(List<String> forwarded, String peer, boolean trustProxy) {
        if (trustProxy && !forwarded.isEmpty()) {
            String last = forwarded.get(forwarded.size() - 1);
            return canonical(last.substring(last.lastIndexOf(',') + 1));
        }
        String canonical = canonical(peer);
        return canonical != null ? canonical : peer;
    }

    /** The canonical form, or null when the text is not an IP address. */
    public static String canonical(String text) {
        String s = text.strip();
        if (s.length() > 2 && s.charAt(0) == '[' && s.charAt(s.length() - 1) == ']') s = s.substring(1, s.length() - 1);
        Matcher v4 = IPV4.matcher(s);
        if (v4.matches()) {
            StringBuilder dotted = new StringBuilder();
            for (int i = 1; i <= 4; i++) {
                int octet = Integer.parseInt(v4.group(i));
                if (octet > 255) return null;
                dotted.append(i > 1 ? "." : "").append(octet);
            }
            return dotted.toString();
        }
        if (s.length() > 45 || !IPV6.matcher(s).matches()) return null;
        InetAddress address;
        try {
            address = InetAddress.getByName("[" + s + "]"); // bracketed: an IPv6 literal or an error, never a lookup
        } catch (UnknownHostException e) {
            return null;
        }
        if (address instanceof Inet4Address) return address.getHostAddress(); // IPv4-mapped
        byte[] b = address.getAddress();
        StringBuilder prefix = new StringBuilder();
        for (int i = 0; i < 8; i += 2) prefix.append(Integer.toHexString(((b[i] & 0xff) << 8) | (b[i + 1] & 0xff))).append(':');
        return prefix.append(":/64").toString();
    }
}

package io.berrys.mesh.provisioner.spec;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An IPv4 block such as {@code 10.0.0.0/16}. */
public record Cidr(long base, int prefix) {

    private static final Pattern FORM = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})/(\\d{1,2})");

    /** Empty when the text is not a block, or has host bits set (10.0.0.1/16). */
    public static Optional<Cidr> parse(String text) {
        Matcher m = FORM.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            return Optional.empty();
        }
        long address = 0;
        for (int i = 1; i <= 4; i++) {
            int octet = Integer.parseInt(m.group(i));
            if (octet > 255) {
                return Optional.empty();
            }
            address = (address << 8) | octet;
        }
        int prefix = Integer.parseInt(m.group(5));
        if (prefix > 32) {
            return Optional.empty();
        }
        Cidr cidr = new Cidr(address, prefix);
        return (address & ~cidr.mask() & 0xFFFFFFFFL) == 0 ? Optional.of(cidr) : Optional.empty();
    }

    private long mask() {
        return prefix == 0 ? 0 : (0xFFFFFFFFL << (32 - prefix)) & 0xFFFFFFFFL;
    }

    private long last() {
        return base | (~mask() & 0xFFFFFFFFL);
    }

    public boolean contains(Cidr other) {
        return other.base >= base && other.last() <= last();
    }

    public boolean overlaps(Cidr other) {
        return base <= other.last() && other.base <= last();
    }
}

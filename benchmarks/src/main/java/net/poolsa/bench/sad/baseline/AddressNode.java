package net.poolsa.bench.sad.baseline;

/** One single address in an RFC 3554-style linked list (the paper's Fig. 5: "each IP address stores a pointer to the next"). */
final class AddressNode {
    final int address;
    AddressNode next;

    AddressNode(int address) {
        this.address = address;
    }

    static boolean contains(AddressNode head, int address) {
        for (AddressNode n = head; n != null; n = n.next) {
            if (n.address == address) {
                return true;
            }
        }
        return false;
    }

    /** A list of every address of the given ranges (first, last pairs). */
    static AddressNode of(long[] ranges) {
        AddressNode head = null;
        AddressNode tail = null;
        for (int r = 0; r < ranges.length; r += 2) {
            for (long a = ranges[r]; a <= ranges[r + 1]; a++) {
                AddressNode n = new AddressNode((int) a);
                if (head == null) {
                    head = n;
                } else {
                    tail.next = n;
                }
                tail = n;
            }
        }
        return head;
    }
}

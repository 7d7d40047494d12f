package net.poolsa.ike.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The send backlog of one socket: answers to unproven sources never queue behind other datagrams, and the queue is
 * bounded in bytes. The socket's behaviour under EAGAIN is in the appliance's {@code IkeHalfOpenFloodNetnsTest}.
 */
class SendBacklogTest {
    @Test
    void anExpendableAnswerGoesOnlyWhenNothingWaits() {
        SendBacklog b = new SendBacklog();
        assertTrue(b.admit(SendBacklog.Kind.EXPENDABLE, 200), "nothing waits");
        // the kernel refused it (EAGAIN): it waits; the next 1000 answers to the flood are dropped, not queued
        int admitted = 0;
        for (int i = 0; i < 1000; i++) {
            if (b.admit(SendBacklog.Kind.EXPENDABLE, 200)) {
                admitted++;
            }
        }
        assertEquals(0, admitted);
        assertEquals(1, b.datagrams());
        // a genuine peer's message 4 queues behind the one answer, not behind a thousand
        assertTrue(b.admit(SendBacklog.Kind.NORMAL, 300));
        assertEquals(2, b.datagrams());
        assertEquals(500, b.bytes());
        b.done(200);
        assertFalse(b.admit(SendBacklog.Kind.EXPENDABLE, 200), "message 4 still waits");
        b.done(300);
        assertEquals(0, b.bytes());
        assertEquals(0, b.datagrams());
        assertTrue(b.admit(SendBacklog.Kind.EXPENDABLE, 200), "the queue drained");
    }

    @Test
    void theQueueHoldsAtMostMaxBytes() {
        SendBacklog b = new SendBacklog();
        int size = 1400;
        long admitted = 0;
        for (int i = 0; i < 1000; i++) {
            if (b.admit(SendBacklog.Kind.NORMAL, size)) {
                admitted++;
            }
        }
        assertEquals(SendBacklog.MAX_BYTES / size, admitted);
        assertTrue(b.bytes() <= SendBacklog.MAX_BYTES);
        assertFalse(b.admit(SendBacklog.Kind.NORMAL, size));
        b.done(size);
        assertTrue(b.admit(SendBacklog.Kind.NORMAL, size), "room again once one went out");
    }
}

/**
 * Sequence numbers (RFC 4303 §2.2.1, 32-bit and 64-bit ESN with Appendix A2.2 inference), the sender's
 * never-wrapping counter, and the receiver's sliding-bitmap anti-replay window (RFC 4303 §3.4.3, RFC 6479).
 */
package net.poolsa.esp.replay;

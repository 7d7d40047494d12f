package net.poolsa.ike.exchange;

import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.sa.Exchange;

/**
 * An exchange that takes the peer's messages of its message ID. A refusal is thrown (an {@link IkeProtocolException},
 * typically a {@link Refusal}) and handled by the {@link Dispatcher}; the exchange has left its state as it was
 * unless the message was authenticated.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-5">RFC 2408 §5</a>
 */
interface MessageHandler extends Exchange {
    void received(Received received) throws IkeProtocolException;
}

package net.poolsa.esp.kernel;

import java.util.List;

import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sad.SecurityAssociationDatabase;
import net.poolsa.esp.spd.InstalledPolicy;
import net.poolsa.esp.spd.SecurityPolicy;
import net.poolsa.esp.spd.SecurityPolicyDatabase;

/**
 * The one interface through which the control plane (IKE, or manual keying from the configuration)
 * installs and removes SAs and policies, as libcharon talks to {@code kernel_ipsec}. Everything the data
 * plane does per packet stays behind it: the data path reads the {@link #sad() SAD} and {@link #spd() SPD} and
 * reports acquires; the appliance drives time lifetimes and shutdown. Only the appliance's start-up names the
 * implementation.
 */
public interface IpsecKernel {
    /** Reserves a fresh inbound SPI (random, unique, never 0-255) for an SA being negotiated. */
    int allocateSpi();

    /** Gives back an SPI reserved by {@link #allocateSpi()} whose negotiation failed. */
    void releaseSpi(int spi);

    /**
     * Installs an SA. A second outbound SA with the same reqid is a rekey: it becomes the one outbound
     * traffic uses, and the old one stays installed until deleted. An outbound ESP SA and a transport-mode
     * AH SA under the same reqid are an AH+ESP bundle (RFC 4301 §4.5, as setkey's {@code esp/tunnel/...
     * ah/transport//require} templates or a strongSwan {@code ah,esp} proposal make one): the reqid's
     * PROTECT policies send AH(ESP(inner)); inbound, AH is opened first, then the ESP SA it carries. Once a reqid
     * held both, it stays a bundle until all its SAs are deleted: outbound traffic without one of the two halves is
     * dropped with an acquire, and inbound ESP of the reqid is accepted only inside AH of the same reqid.
     */
    void addSa(SecurityAssociation sa);

    /** Deletes an SA (its key material is zeroed). {@code reqid} names the outbound generation set. */
    boolean deleteSa(Direction direction, int spi, IpsecProtocol protocol, int reqid);

    /** A snapshot of installed SAs, for status output and expiry. */
    List<SecurityAssociation> listSas();

    void addPolicy(SecurityPolicy policy);

    boolean deletePolicy(String id);

    /** Where soft/hard expiries and acquires go (one listener; IKE or the manual-keying manager). */
    void setListener(KernelListener listener);

    /**
     * Declares {@code reqid} an AH+ESP bundle before its SAs exist: outbound traffic is then dropped (with an
     * acquire) until both the ESP and the AH SA are installed, whatever order they come in.
     */
    void requireBundle(int reqid);

    /** The SAD the data path looks inbound and outbound SAs up in, per packet. */
    SecurityAssociationDatabase sad();

    /** The SPD the data path looks policies up in, per packet. */
    SecurityPolicyDatabase spd();

    /** From the data path: PROTECT matched without an SA; passed to the listener at most once a second per reqid. */
    void reportAcquire(InstalledPolicy policy, long nowNanos);

    /** Checks the time lifetimes of all SAs (the owner calls it about once a second). */
    void expireTick(long nowNanos);

    /** Removes every SA (keys zeroed): shutdown. */
    void flush();
}
